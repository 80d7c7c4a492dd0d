"""What happened, rebuilt from a recording: object lifecycles, episodes, who acted, and the
controller's decisions replayed. Knows nothing of proofs or drawing."""
