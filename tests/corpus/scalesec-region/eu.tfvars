region_lockdown = ["eu-west-1", "eu-central-1"]
