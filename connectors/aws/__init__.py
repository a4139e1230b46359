"""AWS connector: IAM inventory and CloudTrail events."""
