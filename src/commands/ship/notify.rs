//! The optional webhook notification (Slack-compatible `{"text": ...}`) on
//! start, success and failure. A webhook that fails never fails the deploy;
//! it is reported on stderr.

use crate::registry::client::RegistryClient;

/// Posts `text` to the environment's webhook, if it has one.
pub(crate) async fn notify(webhook: Option<&str>, text: &str) {
    let Some(url) = webhook else {
        return;
    };
    // A message can quote an error; no secret value leaves in a payload.
    let body = serde_json::json!({ "text": crate::redact::scrub(text) }).to_string();
    let result = match RegistryClient::new() {
        Ok(client) => client.post_json(url, body).await,
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        eprintln!("warning: the notification webhook failed: {e}");
    }
}
