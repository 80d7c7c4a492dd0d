"""The scenarios shipped with stswatch, one YAML file each."""
