//! Thin adapters over the official AWS SDK: one place that builds the SDK
//! configuration, and one module per service (ECS, SSM, ECR, CloudWatch Logs).
