//! `parity review list` and `parity review prune --older-than D`: the review
//! apps of the base, read from the tags of its cluster's services and of
//! the target groups (`cloud::review_state`), and the stale ones destroyed
//! one by one through `review destroy`'s pipeline.

use std::collections::BTreeMap;
use std::process::ExitCode;

use serde_json::json;

use super::{connect, load_base, with_review};
use crate::aws::{ecs_review, elbv2};
use crate::cli::{GlobalArgs, ReviewListArgs, ReviewPruneArgs, TableFormat};
use crate::cloud::deploy_lock::human_duration;
use crate::cloud::review_state::{self, ReviewApp};
use crate::commands::ship::session::Inputs;
use crate::error::{Error, Result};

pub(crate) fn run(global: &GlobalArgs, args: &ReviewListArgs) -> Result<ExitCode> {
    let (inputs, base) = load_base(global, &args.base, None)?;
    let apps = super::super::block_on(review_apps(&inputs, &base))?;
    let now = super::super::ship::now();
    match args.format {
        TableFormat::Json => {
            let rows: Vec<_> = apps
                .iter()
                .map(|a| {
                    json!({
                        "name": a.name,
                        "url": a.url,
                        "commit": a.commit,
                        "createdAt": a.created_at,
                        "deployedAt": a.deployed_at,
                        "ageSeconds": now.saturating_sub(a.created_at),
                    })
                })
                .collect();
            outln!(
                "{}",
                serde_json::to_string_pretty(&rows).unwrap_or_default()
            );
        }
        TableFormat::Table => {
            if apps.is_empty() {
                outln!("no review apps of {base}");
            } else {
                outln!("{}", table(&apps, now));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// NAME, URL, COMMIT, AGE (since the first deploy), DEPLOYED (since the last).
fn table(apps: &[ReviewApp], now: u64) -> String {
    let mut rows = vec![[
        "NAME".to_owned(),
        "URL".to_owned(),
        "COMMIT".to_owned(),
        "AGE".to_owned(),
        "DEPLOYED".to_owned(),
    ]];
    for a in apps {
        rows.push([
            a.name.clone(),
            a.url.clone(),
            a.commit.clone(),
            human_duration(now.saturating_sub(a.created_at)),
            format!("{} ago", human_duration(now.saturating_sub(a.deployed_at))),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
        .collect();
    rows.iter()
        .map(|r| {
            r.iter()
                .zip(&widths)
                .map(|(cell, w)| format!("{cell:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The review apps of `base`, from the tags of its cluster's services and of the target groups.
async fn review_apps(inputs: &Inputs, base: &str) -> Result<Vec<ReviewApp>> {
    let environment = inputs.environment(base)?;
    let cloud = connect(environment).await?;
    let ctx = &cloud.ctx;
    let mut tagged: Vec<BTreeMap<String, String>> =
        ecs_review::tagged_services(ctx, &environment.cluster())
            .await?
            .into_iter()
            .map(|s| s.tags)
            .collect();
    let target_groups = elbv2::all_target_groups(ctx).await?;
    tagged.extend(elbv2::tags_of(ctx, &target_groups).await?.into_values());
    ctx.calls().log_summary();
    Ok(review_state::collect(&tagged, inputs.settings.app(), base))
}

pub(crate) fn prune(global: &GlobalArgs, args: &ReviewPruneArgs) -> Result<ExitCode> {
    let older_than = crate::cloud::since::duration_secs(&args.older_than).ok_or_else(|| {
        Error::input(format!(
            "--older-than {}: expected a duration like `7d`, `12h`, `30m` or `0s`",
            args.older_than
        ))
    })?;
    let (inputs, base) = load_base(global, &args.base, None)?;
    let apps = super::super::block_on(review_apps(&inputs, &base))?;
    let now = super::super::ship::now();
    let stale: Vec<String> = review_state::stale(&apps, now, older_than)
        .into_iter()
        .map(|a| a.name.clone())
        .collect();
    if stale.is_empty() {
        outln!(
            "no review app of {base} was last deployed {} or longer ago",
            args.older_than
        );
        return Ok(ExitCode::SUCCESS);
    }
    for name in &stale {
        let (mut inputs, base) = load_base(global, &args.base, None)?;
        let review = with_review(&mut inputs, &base, name)?;
        super::super::block_on(super::destroy::destroy(&inputs, &review, &args.change))?;
    }
    Ok(ExitCode::SUCCESS)
}
