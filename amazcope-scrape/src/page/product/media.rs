//! Product images: the gallery JSON, else the main image.

use super::json_value_after;
use crate::region::{IdIndex, attr_in_tag};
use memchr::memmem;

use amazcope_core::model::page::Field;

/// The listing's images in gallery order: one URL per entry of the gallery JSON
/// (`'colorImages': { 'initial': [{"hiRes": .., "large": ..}, ..] }`, the hi-res version
/// where the page has one, else the large one), so their number is the number of images the
/// listing shows. Pages without the gallery JSON give the main image (`#landingImage`) alone.
pub(super) fn read_images(idx: &IdIndex<'_>, html: &str) -> Field<Vec<String>> {
    let gallery = gallery_images(html);
    if !gallery.is_empty() {
        return Field::Read(gallery);
    }
    for id in ["landingImage", "imgBlkFront", "ebooksImgBlkFront", "main-image"] {
        if let Some(r) = idx.element(id) {
            let src = attr_in_tag(r, 0, "data-old-hires")
                .filter(|s| !s.is_empty())
                .or_else(|| attr_in_tag(r, 0, "src"));
            if let Some(s) = src.filter(|s| s.starts_with("http")) {
                return Field::Read(vec![s.to_owned()]);
            }
        }
    }
    Field::Absent
}

/// One entry of the gallery JSON.
#[derive(serde::Deserialize)]
pub(super) struct GalleryImage {
    #[serde(rename = "hiRes")]
    hi_res: Option<String>,
    large: Option<String>,
}

pub(super) fn gallery_images(html: &str) -> Vec<String> {
    let Some(at) = memmem::find(html.as_bytes(), b"'colorImages'") else { return Vec::new() };
    let Some(initial) = memmem::find(&html.as_bytes()[at..], b"'initial'").map(|i| at + i) else {
        return Vec::new();
    };
    let Some(array) = json_value_after(html, initial) else { return Vec::new() };
    let Ok(entries) = serde_json::from_str::<Vec<GalleryImage>>(array) else { return Vec::new() };
    let mut out: Vec<String> = Vec::with_capacity(entries.len());
    for e in entries {
        let url = e.hi_res.filter(|u| u.starts_with("http")).or(e.large.filter(|u| u.starts_with("http")));
        if let Some(url) = url
            && !out.contains(&url)
        {
            out.push(url);
        }
    }
    out
}
