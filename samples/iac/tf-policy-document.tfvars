# Approved Regions for the workloads OU.
allowed_regions = [
  "eu-west-1",
  "eu-central-1",
]
