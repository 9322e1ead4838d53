//! Product-details tables and bullet lists, and the best-sellers ranks they hold.

use super::{offset, root, unparseable};
use crate::region::IdIndex;
use crate::selectors as sel;
use crate::text::{collapse, fragment, lines, text};
use amazcope_core::model::page::{Field, NameValue, SalesRank};
use scraper::ElementRef;

/// Rows of the product-details tables and bullet lists, in page order.
pub(super) struct Details {
    pub(super) rows: Vec<NameValue>,
    /// The best-sellers row, as lines (one rank per line).
    rank_lines: Option<Vec<String>>,
}

/// Details regions by layout: 2019+ bullets (`#detailBulletsWrapper_feature_div`,
/// `#detailBullets_feature_div`), 2018+ tables (`#productDetails_feature_div`, `#prodDetails`,
/// `#productDetails_detailBullets_sections1`, `#productDetails_techSpec_section_1`), the old
/// `#detail-bullets` / `#detail_bullets_id`, and the stand-alone `#SalesRank` line.
pub(super) const DETAIL_REGIONS: &[&str] = &[
    "detailBulletsWrapper_feature_div",
    "detailBullets_feature_div",
    "productDetails_feature_div",
    "prodDetails",
    "productDetails_detailBullets_sections1",
    "productDetails_techSpec_section_1",
    "productDetails_techSpec_section_2",
    "productDetails_db_sections",
    "technicalSpecifications_feature_div",
    "detail-bullets",
    "detail_bullets_id",
    "audibleProductDetails",
    "SalesRank",
];

pub(super) const RANK_LABELS: &[&str] = &[
    "best sellers rank",
    "bestsellers rank",
    "amazon bestseller",
    "bestseller-rang",
    "classement des meilleures ventes",
    "posizione nella classifica",
    "clasificación en los más vendidos",
    "ranking dos mais vendidos",
    "classificação dos produtos mais vendidos",
    "売れ筋ランキング",
    "plaats in bestsellerlijst",
    "bestsellerrang",
    "ranking najlepiej",
    "rangordning",
    "en çok satanlar",
    "الأكثر مبيع",
];

impl Details {
    pub(super) fn read(html: &str, idx: &IdIndex<'_>) -> Self {
        let mut rows = Vec::new();
        let mut rank_lines = None;
        let mut seen: Vec<(usize, usize)> = Vec::new();
        for id in DETAIL_REGIONS {
            let Some(region) = idx.element(id) else { continue };
            let start = offset(html, region);
            let end = start + region.len();
            if seen.iter().any(|(s, e)| *s <= start && end <= *e) {
                continue;
            }
            seen.push((start, end));
            let h = fragment(region);
            let r = root(&h);
            for tr in r.select(&sel::TABLE_ROW) {
                // 2018+ tables: `<th>` name, `<td>` value; 2016 tables: `td.label`, `td.value`.
                let mut tds = tr.select(&sel::ROW_VALUE);
                let (name, value) = match tr.select(&sel::ROW_NAME).next() {
                    Some(th) => (Some(th), tds.next()),
                    None => (tds.next(), tds.next()),
                };
                let (Some(name), Some(value)) = (name, value) else {
                    continue;
                };
                let name = text(name);
                let is_rank = is_rank_row(&name, value);
                if is_rank && rank_lines.is_none() {
                    rank_lines = Some(lines(value));
                }
                rows.push(NameValue {
                    name: name.trim_end_matches(':').trim().to_owned(),
                    value: text(value),
                });
            }
            let bullet_items: Vec<ElementRef<'_>> =
                if *id == "SalesRank" { vec![r] } else { r.select(&sel::BULLET_ITEM).collect() };
            for li in bullet_items {
                // Nested lists (the sub-ranks of a rank bullet) are read with their parent.
                if *id != "SalesRank"
                    && li
                        .ancestors()
                        .filter_map(ElementRef::wrap)
                        .any(|a| a.value().name() == "li" || a.value().classes().any(|c| c == "zg_hrsr"))
                {
                    continue;
                }
                let label = li.select(&sel::BULLET_LABEL).next().map(text).unwrap_or_default();
                let all = text(li);
                if is_rank_row(&label, li) || (*id == "SalesRank" && rank_lines.is_none()) {
                    if rank_lines.is_none() {
                        rank_lines = Some(lines(li));
                    }
                    continue;
                }
                if label.is_empty() {
                    continue;
                }
                let value =
                    all.strip_prefix(label.as_str()).unwrap_or(&all).trim().trim_start_matches(':').trim();
                let name = label.trim().trim_end_matches(':').trim().trim_end_matches(':').trim();
                if !name.is_empty() && !value.is_empty() {
                    rows.push(NameValue { name: name.to_owned(), value: value.to_owned() });
                }
            }
        }
        Details { rows, rank_lines }
    }

    pub(super) fn find(&self, names: &[&str]) -> Field<String> {
        self.rows
            .iter()
            .find(|r| {
                let n = r.name.to_lowercase();
                names.iter().any(|w| n.contains(w))
            })
            .map_or(Field::Absent, |r| Field::Read(r.value.clone()))
    }

    pub(super) fn ranks(&self) -> Field<Vec<SalesRank>> {
        let Some(lines) = &self.rank_lines else { return Field::Absent };
        let ranks = ranks_from_lines(lines);
        if ranks.is_empty() {
            unparseable("best sellers rank row", &lines.join(" | "))
        } else {
            Field::Read(ranks)
        }
    }
}

pub(super) fn is_rank_row(label: &str, value: ElementRef<'_>) -> bool {
    let l = label.to_lowercase();
    if RANK_LABELS.iter().any(|k| l.contains(k)) {
        return true;
    }
    // Language-independent: a row whose links go to best-seller lists (`pd_zg_ts`,
    // `pd_zg_hrsr`), whatever its label says.
    value.select(&sel::ANCHOR).any(|a| {
        a.value()
            .attr("href")
            .is_some_and(|h| h.contains("pd_zg_ts") || h.contains("pd_zg_hrsr") || h.contains("zg_hrsr"))
    })
}

/// Drops "(See Top 100 in X)" groups in every language (they hold "100"); keeps category
/// parentheses like "Political Fiction (Kindle Store)".
pub(super) fn drop_top100(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(open) = rest.find('(') {
        let Some(close_rel) = rest[open..].find(')') else { break };
        let inner = &rest[open + 1..open + close_rel];
        out.push_str(&rest[..open]);
        if !(inner.contains("100") || inner.contains("ランキング") || inner.contains("売れ筋")) {
            out.push_str(&rest[open..=open + close_rel]);
        }
        rest = &rest[open + close_rel + 1..];
    }
    out.push_str(rest);
    collapse(&out)
}

pub(super) const PREPOSITIONS: &[&str] =
    &["in der ", "in ", "en ", "em ", "dans ", "nella ", "na ", "no ", "i ", "w ", "op ", "di "];

/// `#1,234 in Electronics`, `Nr. 1.234 in Küche`, `n°66 dans X`, `Nº 172 em Y`, `4位ゲーム`.
pub(crate) fn ranks_from_lines(lines: &[String]) -> Vec<SalesRank> {
    let mut out = Vec::new();
    for line in lines {
        let line = drop_top100(line);
        // Old layouts put several ranks on one line: split before each "#<digit>".
        let mut parts = Vec::new();
        let mut last = 0;
        for (i, _) in line.match_indices('#') {
            if i > last && line[i + 1..].starts_with(|c: char| c.is_ascii_digit()) {
                parts.push(&line[last..i]);
                last = i;
            }
        }
        parts.push(&line[last..]);
        for part in parts {
            if let Some(r) = rank_of(part) {
                out.push(r);
            }
        }
    }
    out
}

pub(super) fn rank_of(part: &str) -> Option<SalesRank> {
    let start = part.find(|c: char| c.is_ascii_digit())?;
    // The label before the number must not itself be a number-bearing sentence.
    let prefix = &part[..start];
    if prefix.chars().filter(|c| c.is_alphabetic()).count() > 40 {
        return None;
    }
    let rest = &part[start..];
    let num_len = rest
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || matches!(c, ',' | '.' | ' ' | '\u{a0}' | '\u{202f}')))
        .map_or(rest.len(), |(i, _)| i);
    let (num, mut cat) = rest.split_at(num_len);
    // Trailing separators belong to the sentence, not the number ("4, in").
    let num = num.trim_end_matches([',', '.', ' ', '\u{a0}', '\u{202f}']);
    let digits: String = num.chars().filter(char::is_ascii_digit).collect();
    let rank: u32 = digits.parse().ok()?;
    cat = cat.trim_start();
    cat = cat.strip_prefix('位').unwrap_or(cat).trim_start();
    for p in PREPOSITIONS {
        if cat.len() > p.len() && cat.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p)) {
            cat = &cat[p.len()..];
            break;
        }
    }
    let cat = cat.trim().trim_end_matches([':', ',', ';']).trim();
    if cat.is_empty() || rank == 0 {
        return None;
    }
    Some(SalesRank { rank, category: cat.to_owned(), link: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_in_many_languages() {
        let lines: Vec<String> = [
            "Best Sellers Rank: #16,222 in Kitchen (See Top 100 in Kitchen)",
            "#24 in Centrifugal Juicers",
            "Nr. 1.234.207 in Küche, Haushalt & Wohnen (Siehe Top 100 in Küche, Haushalt & Wohnen)",
            "n°66 dans Children's Self-Esteem Books (Livres anglais et étrangers)",
            "Nº 12,212 em Ferramentas e Materiais de Construção (Conheça o Top 100 na categoria X)",
            "- 4位ゲーム (の売れ筋ランキングを見るゲーム)",
            "1 892 338 en Cuisine & Maison",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let got: Vec<(u32, String)> =
            ranks_from_lines(&lines).into_iter().map(|r| (r.rank, r.category)).collect();
        assert_eq!(
            got,
            vec![
                (16222, "Kitchen".to_owned()),
                (24, "Centrifugal Juicers".to_owned()),
                (1234207, "Küche, Haushalt & Wohnen".to_owned()),
                (66, "Children's Self-Esteem Books (Livres anglais et étrangers)".to_owned()),
                (12212, "Ferramentas e Materiais de Construção".to_owned()),
                (4, "ゲーム".to_owned()),
                (1892338, "Cuisine & Maison".to_owned()),
            ]
        );
    }

    #[test]
    fn several_ranks_on_one_line_are_split() {
        let got =
            ranks_from_lines(&["#41,328 in Kindle Store #41 in Political Fiction (Kindle Store)".to_owned()]);
        assert_eq!(got.iter().map(|r| r.rank).collect::<Vec<_>>(), [41328, 41]);
    }
}
