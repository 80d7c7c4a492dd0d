"""stswatch reading side: lifecycles, proofs, timelines and HTML reports, from a recording alone."""
