//! `amazcope search TEXT [--marketplace M] [--user U] [--limit N] [--json]`.

use crate::common;
use amazcope_pg::search::SearchQuery;
use clap::Args;

/// Arguments of `amazcope search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words (as in a web search box: "quoted phrase", or, -word), an ASIN or a title.
    pub text: String,
    /// Only products of this marketplace (com, co.uk, de, ...); its language's stemming.
    #[arg(long, short)]
    pub marketplace: Option<String>,
    /// Only the products this user tracks.
    #[arg(long, short)]
    pub user: Option<String>,
    /// At most this many results.
    #[arg(long, default_value_t = 20)]
    pub limit: u32,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Prints the products found, best first.
pub async fn run(args: SearchArgs) -> anyhow::Result<()> {
    let store = common::store().await?;
    let mut query = SearchQuery::new(args.text.clone());
    query.marketplace = args.marketplace.as_deref().map(common::marketplace).transpose()?;
    query.limit = args.limit;
    if let Some(name) = args.user.as_deref() {
        query.user = Some(common::user(&store, name).await?.id);
    }
    let hits = store.search(&query).await?;
    if args.json {
        return common::print_json(&hits);
    }
    if hits.is_empty() {
        outln!("no product matches {:?}", args.text);
        return Ok(());
    }
    outln!("{:<10} {:<7} {:<8} {:>10} {:<60}", "ASIN", "MARKET", "MATCH", "PRICE", "TITLE");
    for h in &hits {
        let matched = match h.matched {
            amazcope_pg::search::MatchKind::Asin => "asin",
            amazcope_pg::search::MatchKind::Title => "title",
            amazcope_pg::search::MatchKind::Text => "text",
            amazcope_pg::search::MatchKind::Similar => "similar",
        };
        outln!(
            "{:<10} {:<7} {:<8} {:>10} {:<60}",
            h.asin,
            h.marketplace.code(),
            matched,
            common::opt(h.price),
            common::clip(&h.title, 60)
        );
    }
    Ok(())
}
