//! ACM: the environment's certificate, requested through the API before the
//! stack (DNS validation), found again on the next apply instead of
//! requested twice, and read for its validation records and status.

use aws_sdk_acm::types::{CertificateStatus, ValidationMethod};

use super::config::{AwsContext, Service};
use super::explain::Call;
use crate::error::{Error, Result};

/// One DNS record ACM asks for to prove the domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ValidationRecord {
    pub(crate) name: String,
    pub(crate) kind: String,
    pub(crate) value: String,
}

/// A certificate's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Certificate {
    pub(crate) arn: String,
    /// `PENDING_VALIDATION`, `ISSUED`, `FAILED`, `VALIDATION_TIMED_OUT`, ...
    pub(crate) status: String,
    /// Empty until ACM has computed them (seconds after the request).
    pub(crate) records: Vec<ValidationRecord>,
}

/// An issued or pending certificate covering exactly `hosts` (first = domain
/// name), or a new request for one.
pub(crate) async fn find_or_request(ctx: &AwsContext, hosts: &[&str]) -> Result<String> {
    let call = |op| Call::new(Service::Acm, op).on(hosts[0]);
    let mut next: Option<String> = None;
    loop {
        let out = ctx
            .acm()
            .list_certificates()
            .certificate_statuses(CertificateStatus::Issued)
            .certificate_statuses(CertificateStatus::PendingValidation)
            .set_next_token(next.take())
            .send()
            .await
            .map_err(|e| ctx.explain(&call("ListCertificates"), &e))?;
        for summary in out.certificate_summary_list() {
            let mut names: Vec<&str> = summary
                .subject_alternative_name_summaries()
                .iter()
                .map(String::as_str)
                .collect();
            names.extend(summary.domain_name());
            if summary.domain_name() == Some(hosts[0])
                && hosts.iter().all(|h| names.contains(h))
                && let Some(arn) = summary.certificate_arn()
            {
                return Ok(arn.to_owned());
            }
        }
        match out.next_token() {
            Some(token) => next = Some(token.to_owned()),
            None => break,
        }
    }
    let out = ctx
        .acm()
        .request_certificate()
        .domain_name(hosts[0])
        .set_subject_alternative_names(Some(hosts.iter().map(|h| (*h).to_owned()).collect()))
        .validation_method(ValidationMethod::Dns)
        .send()
        .await
        .map_err(|e| ctx.explain(&call("RequestCertificate"), &e))?;
    out.certificate_arn()
        .map(str::to_owned)
        .ok_or_else(|| Error::failed("ACM RequestCertificate returned no certificate ARN"))
}

/// The certificate's status and DNS validation records.
pub(crate) async fn describe(ctx: &AwsContext, arn: &str) -> Result<Certificate> {
    let out = ctx
        .acm()
        .describe_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .map_err(|e| ctx.explain(&Call::new(Service::Acm, "DescribeCertificate").on(arn), &e))?;
    let detail = out
        .certificate()
        .ok_or_else(|| Error::failed("ACM DescribeCertificate returned no certificate"))?;
    let mut records: Vec<ValidationRecord> = detail
        .domain_validation_options()
        .iter()
        .filter_map(|o| o.resource_record())
        .map(|r| ValidationRecord {
            name: r.name().to_owned(),
            kind: r.r#type().as_str().to_owned(),
            value: r.value().to_owned(),
        })
        .collect();
    // Hosts under one domain share a validation record.
    records.dedup_by(|a, b| a == b);
    Ok(Certificate {
        arn: arn.to_owned(),
        status: detail
            .status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        records,
    })
}
