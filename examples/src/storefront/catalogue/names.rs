//! The categories, brands and product nouns the storefront's catalogue draws from.

use amazcope_core::Marketplace;

/// A best-seller category of one marketplace: the list's slug, its root name as ranks and
/// breadcrumbs show it, and the sub-category a product is ranked in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryInfo {
    /// The `/gp/bestsellers/<slug>` slug.
    pub slug: &'static str,
    /// The root category name.
    pub root: &'static str,
    /// The middle breadcrumb.
    pub middle: &'static str,
    /// The leaf (sub-category) name the second rank is in.
    pub leaf: &'static str,
    /// The leaf's browse node id.
    pub leaf_node: u64,
}

impl CategoryInfo {
    /// The breadcrumb path, root first.
    pub fn path(&self) -> Vec<String> {
        vec![self.root.to_owned(), self.middle.to_owned(), self.leaf.to_owned()]
    }
}

macro_rules! cat {
    ($slug:literal, $root:literal, $mid:literal, $leaf:literal, $node:literal) => {
        CategoryInfo { slug: $slug, root: $root, middle: $mid, leaf: $leaf, leaf_node: $node }
    };
}

/// The categories each marketplace's products are drawn from.
pub fn categories(marketplace: Marketplace) -> Vec<CategoryInfo> {
    match marketplace {
        Marketplace::De => vec![
            cat!("diy", "Baumarkt", "Elektrowerkzeuge", "Akku-Bohrschrauber", 2077424031),
            cat!("ce-de", "Elektronik & Foto", "Kopfhörer", "Over-Ear-Kopfhörer", 570278),
            cat!("kitchen", "Küche, Haushalt & Wohnen", "Kaffee & Espresso", "Kaffeevollautomaten", 3310781),
        ],
        Marketplace::CoUk => vec![
            cat!("diy", "DIY & Tools", "Power Tools", "Drills", 1938967031),
            cat!("electronics", "Electronics & Photo", "Headphones", "Over-Ear Headphones", 4085731),
            cat!("kitchen", "Home & Kitchen", "Small Kitchen Appliances", "Kettles", 3538411031),
        ],
        Marketplace::CoJp => vec![
            cat!("kitchen", "ホーム＆キッチン", "キッチン家電", "コーヒーメーカー", 2422738051),
            cat!("electronics", "家電＆カメラ", "オーディオ機器", "ヘッドホン", 3477981),
        ],
        _ => vec![
            cat!("hi", "Tools & Home Improvement", "Power Tools", "Power Drills", 551236),
            cat!("electronics", "Electronics", "Headphones", "Over-Ear Headphones", 12097479011),
            cat!("kitchen", "Home & Kitchen", "Coffee, Tea & Espresso", "Coffee Makers", 289745),
            cat!("toys-and-games", "Toys & Games", "Puzzles", "Jigsaw Puzzles", 166363011),
            cat!("sporting-goods", "Sports & Outdoors", "Yoga", "Yoga Mats", 3422251),
        ],
    }
}

pub(super) const BRANDS: &[&str] = &[
    "Northwind",
    "Kestrel",
    "Bramblecraft",
    "Voltaris",
    "Harborline",
    "Quillmark",
    "Ostara",
    "Tidewell",
    "Ferrox",
    "Lumenbay",
    "Cobaltine",
    "Wrenfield",
];

pub(super) fn nouns(category: &CategoryInfo) -> &'static [&'static str] {
    match category.leaf {
        "Power Drills" | "Drills" | "Akku-Bohrschrauber" => {
            &["Cordless Drill Driver 20V", "Hammer Drill Kit", "Compact Drill 12V"]
        }
        "Over-Ear Headphones" | "Over-Ear-Kopfhörer" | "ヘッドホン" => {
            &["Wireless Over-Ear Headphones", "Noise Cancelling Headphones", "Studio Monitor Headphones"]
        }
        "Coffee Makers" | "Kaffeevollautomaten" | "コーヒーメーカー" => {
            &["12-Cup Programmable Coffee Maker", "Single Serve Coffee Brewer", "Espresso Machine"]
        }
        "Kettles" => &["Electric Kettle 1.7L", "Glass Kettle with LED", "Gooseneck Kettle"],
        "Jigsaw Puzzles" => &["1000 Piece Jigsaw Puzzle", "Wooden Puzzle Set", "3D Puzzle Lighthouse"],
        _ => &["Non-Slip Yoga Mat 6mm", "Travel Yoga Mat", "Cork Yoga Mat"],
    }
}

pub(super) const ADJECTIVES: &[&str] =
    &["Pro", "Classic", "Plus", "Lite", "Max", "Eco", "Studio", "Prime Edition"];
