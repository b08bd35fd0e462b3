# Region deny SCP for the workloads OU.
resource "aws_organizations_policy" "region_deny" {
  name        = "region-deny"
  description = "Deny requests outside the approved Regions"
  type        = "SERVICE_CONTROL_POLICY"

  content = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyOutsideApprovedRegions"
        Effect    = "Deny"
        NotAction = ["iam:*", "organizations:*", "sts:*", "support:*"]
        Resource  = "*"
        Condition = {
          StringNotEquals = {
            "aws:RequestedRegion" = [
              "ap-northeast-1", # Tokyo
              "ap-southeast-2",
            ]
          }
        }
      },
    ]
  })
}

resource "aws_organizations_policy_attachment" "region_deny" {
  policy_id = aws_organizations_policy.region_deny.id
  target_id = "ou-abcd-12345678"
}
