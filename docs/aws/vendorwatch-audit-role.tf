# VendorWatch read-only audit role — the same as vendorwatch-audit-role.cfn.yaml, for Terraform users.
# 委託先が自社アカウントに作成する読み取り専用の監査ロール（CloudFormation 版と同じ内容）。

variable "trusted_account_id" {
  description = "The securities firm's AWS account id / 証券会社の AWS アカウント ID"
  type        = string
}

variable "external_id" {
  description = "The external id agreed with the firm (a shared secret) / 取り決めた外部 ID"
  type        = string
  sensitive   = true
}

variable "trail_bucket_name" {
  description = "S3 bucket the CloudTrail trail delivers to / CloudTrail の配信先バケット"
  type        = string
}

variable "trail_kms_key_arn" {
  description = "KMS key of the trail's log files if SSE-KMS is used, else empty"
  type        = string
  default     = ""
}

variable "role_name" {
  type    = string
  default = "VendorWatchAudit"
}

data "aws_partition" "current" {}

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "TheFirmWithExternalId"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${var.trusted_account_id}:root"]
    }
    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [var.external_id]
    }
  }
}

data "aws_iam_policy_document" "read_only" {
  statement {
    sid    = "IamInventory"
    effect = "Allow"
    actions = [
      "iam:GetAccountAuthorizationDetails",
      "iam:GetAccountPasswordPolicy",
      "iam:GetAccountSummary",
      "iam:GetAccessKeyLastUsed",
      "iam:GetPolicy",
      "iam:GetPolicyVersion",
      "iam:ListAccessKeys",
      "iam:ListMFADevices",
      "iam:GenerateCredentialReport",
      "iam:GetCredentialReport",
    ]
    resources = ["*"]
  }
  statement {
    sid    = "CloudTrailSettingsAndEvents"
    effect = "Allow"
    actions = [
      "cloudtrail:DescribeTrails",
      "cloudtrail:GetTrailStatus",
      "cloudtrail:GetEventSelectors",
      "cloudtrail:LookupEvents",
      "cloudtrail:ListPublicKeys",
    ]
    resources = ["*"]
  }
  statement {
    sid       = "TrailBucketList"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = ["arn:${data.aws_partition.current.partition}:s3:::${var.trail_bucket_name}"]
  }
  statement {
    sid       = "TrailBucketRead"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["arn:${data.aws_partition.current.partition}:s3:::${var.trail_bucket_name}/*"]
  }
  dynamic "statement" {
    for_each = var.trail_kms_key_arn == "" ? [] : [var.trail_kms_key_arn]
    content {
      sid       = "TrailLogDecrypt"
      effect    = "Allow"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role" "vendorwatch_audit" {
  name                 = var.role_name
  description          = "VendorWatch read-only audit role (securities firm's vendor monitoring)"
  max_session_duration = 3600
  assume_role_policy   = data.aws_iam_policy_document.trust.json
}

resource "aws_iam_role_policy" "vendorwatch_read_only" {
  name   = "vendorwatch-read-only"
  role   = aws_iam_role.vendorwatch_audit.id
  policy = data.aws_iam_policy_document.read_only.json
}

output "role_arn" {
  description = "Hand this ARN back to the firm / このロール ARN を証券会社に伝えてください"
  value       = aws_iam_role.vendorwatch_audit.arn
}
