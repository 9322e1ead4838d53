//! `amazcope settings --user U [--set KEY=VALUE ...] [--reset] [--json]`: read or change a
//! user's settings (alert thresholds, e-mail switches, display preferences).

use crate::common;
use amazcope_core::model::user::{SettingsPatch, UserSettings};
use amazcope_core::repo::UserRepository;
use clap::Args;
use serde_json::{Map, Value};

/// Arguments of `amazcope settings`.
#[derive(Debug, Args)]
pub struct SettingsArgs {
    /// Whose settings.
    #[arg(long, short)]
    pub user: String,
    /// Change a setting, e.g. `--set default_price_threshold=5 --set daily_summary_emails=true`
    /// (keys are the names `amazcope settings` prints).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Put every setting back to its default first (then apply any `--set`).
    #[arg(long)]
    pub reset: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Shows or changes the settings.
pub async fn run(args: SettingsArgs) -> anyhow::Result<()> {
    let store = common::store().await?;
    let user = common::user(&store, &args.user).await?;
    let mut settings =
        if args.reset { store.reset_settings(user.id).await? } else { store.settings(user.id).await? };
    if !args.set.is_empty() {
        let patch = patch(&args.set, &settings)?;
        settings = store.update_settings(user.id, &patch).await?;
    }
    if args.json {
        return common::print_json(&settings);
    }
    for (key, value) in settable(&settings)? {
        match value {
            Value::String(s) => outln!("{key:<28} {s}"),
            v => outln!("{key:<28} {v}"),
        }
    }
    Ok(())
}

/// The settings a user may change, by name: the fields of [`SettingsPatch`] with their
/// current values (ids and timestamps are left out).
fn settable(settings: &UserSettings) -> anyhow::Result<Map<String, Value>> {
    let Value::Object(keys) = serde_json::to_value(SettingsPatch::default())? else {
        anyhow::bail!("settings are not a record");
    };
    let Value::Object(mut current) = serde_json::to_value(settings)? else {
        anyhow::bail!("settings are not a record");
    };
    current.retain(|k, _| keys.contains_key(k));
    Ok(current)
}

/// `KEY=VALUE` arguments as a patch, each value read as the type its setting has (true or
/// false, a number, or text). Ranges are checked by the patch's own validation.
fn patch(pairs: &[String], settings: &UserSettings) -> anyhow::Result<SettingsPatch> {
    let current = settable(settings)?;
    let mut fields = Map::new();
    for pair in pairs {
        let Some((key, raw)) = pair.split_once('=') else {
            anyhow::bail!("--set {pair:?}: expected KEY=VALUE");
        };
        let (key, raw) = (key.trim(), raw.trim());
        let Some(now) = current.get(key) else {
            let valid: Vec<&str> = current.keys().map(String::as_str).collect();
            anyhow::bail!("unknown setting {key:?}; valid keys: {}", valid.join(", "));
        };
        let value = match now {
            Value::Bool(_) => match raw {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => anyhow::bail!("{key} must be true or false, not {raw:?}"),
            },
            Value::Number(n) if n.is_f64() => match raw.parse::<f64>() {
                Ok(v) if v.is_finite() => Value::from(v),
                _ => anyhow::bail!("{key} must be a number, not {raw:?}"),
            },
            Value::Number(_) => match raw.parse::<i32>() {
                Ok(v) => Value::from(v),
                Err(_) => anyhow::bail!("{key} must be a whole number, not {raw:?}"),
            },
            _ => Value::String(raw.to_owned()),
        };
        fields.insert(key.to_owned(), value);
    }
    let patch: SettingsPatch = serde_json::from_value(Value::Object(fields))?;
    patch.validate()?;
    Ok(patch)
}
