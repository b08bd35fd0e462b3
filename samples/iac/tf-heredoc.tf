resource "aws_organizations_policy" "region_deny" {
  name = "region-deny"
  type = "SERVICE_CONTROL_POLICY"

  # Pasted from the console; keep it readable.
  content = <<-POLICY
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "DenyOutsideApprovedRegions",
          "Effect": "Deny",
          "NotAction": [
            "iam:*",
            "organizations:*",
            "sts:*",
            "support:*"
          ],
          "Resource": "*",
          "Condition": {
            "StringNotEquals": {
              "aws:RequestedRegion": [
                "ap-northeast-1",
                "ap-southeast-2"
              ]
            },
            "StringNotLike": {
              "aws:PrincipalARN": "arn:aws:iam::*:role/$${aws:PrincipalTag/team}-admin"
            }
          }
        }
      ]
    }
  POLICY
}
