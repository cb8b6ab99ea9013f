//! The environment's certificate, before the stack: requested from ACM
//! (DNS validation) or found from an earlier apply; its validation records
//! written into the Route 53 zone parity.toml names, or printed for the user
//! to add; then a bounded wait, with progress, until ACM issues it.

use std::time::{Duration, Instant};

use crate::aws::{AwsContext, acm, route53};
use crate::error::{Error, Result};
use crate::settings::Environment;

/// How often ACM is asked while it validates.
const POLL: Duration = Duration::from_secs(5);
/// ACM documents DNS validation as taking up to 30 minutes once the records exist
/// (a person adding them by hand needs some of that time too).
const TIMEOUT: Duration = Duration::from_secs(45 * 60);

/// The ARN of an issued certificate for `hosts` (the first is the domain).
pub(crate) async fn ensure(
    ctx: &AwsContext,
    environment: &Environment,
    hosts: &[&str],
) -> Result<String> {
    let arn = acm::find_or_request(ctx, hosts).await?;
    let zone = match environment.hosted_zone() {
        Some(zone) => Some(route53::zone_id(ctx, zone).await?),
        None => None,
    };
    let started = Instant::now();
    let mut records_done = false;
    loop {
        let certificate = acm::describe(ctx, &arn).await?;
        match certificate.status.as_str() {
            "ISSUED" => {
                eprintln!("certificate for {} issued ({arn})", hosts.join(", "));
                return Ok(arn);
            }
            "PENDING_VALIDATION" => {}
            other => {
                return Err(Error::failed(format!(
                    "the ACM certificate for {} is {other} ({arn})",
                    hosts[0]
                ))
                .with_help("delete it in the ACM console, check the domain's DNS, and run `parity env apply` again"));
            }
        }
        if !records_done && !certificate.records.is_empty() {
            match &zone {
                Some(zone) => {
                    route53::upsert(ctx, zone, &certificate.records).await?;
                    eprintln!(
                        "wrote the certificate's DNS validation record(s) into Route 53 zone {zone}"
                    );
                }
                None => {
                    eprintln!(
                        "add these DNS records so ACM can validate {} (or set hosted_zone in parity.toml):",
                        hosts[0]
                    );
                    for record in &certificate.records {
                        eprintln!("  {}  {}  {}", record.name, record.kind, record.value);
                    }
                }
            }
            records_done = true;
        }
        let waited = started.elapsed();
        if waited > TIMEOUT {
            return Err(Error::failed(format!(
                "ACM has not issued the certificate for {} after {} min",
                hosts[0],
                TIMEOUT.as_secs() / 60
            ))
            .with_help("check that the validation records resolve (`dig CNAME <name>`), then run `parity env apply` again: it reuses the same certificate request"));
        }
        eprintln!(
            "waiting for ACM to validate {} ({} s)",
            hosts[0],
            waited.as_secs()
        );
        if let Err(signal) = crate::commands::ship::interrupt::sleep(POLL).await {
            return Err(crate::commands::ship::interrupt::stopped(
                signal,
                "while waiting for the certificate; no change set was made",
            )
            .with_help("`parity env apply` reuses the same certificate request"));
        }
    }
}
