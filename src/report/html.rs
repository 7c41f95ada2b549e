//! The page around the report's sections: escaping, inline pictures, style and script.

use crate::picture::files::png_bytes;
use base64::Engine;
use image::RgbImage;

/// Text made safe inside HTML elements and quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// `data:image/png;base64,...`: a picture inside the page.
pub fn data_uri(img: &RgbImage) -> Result<String, String> {
    let bytes = png_bytes(img)?;
    Ok(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

/// Forbids every load that is not inside the page, so the report provably needs no network.
const POLICY: &str =
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'";

const STYLE: &str = "
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 80em; padding: 0 1em; color: #222; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 0.9em; }
pre.source { max-height: 24em; overflow-y: auto; }
nav { margin-bottom: 1em; line-height: 1.8; }
section.value { border-top: 1px solid #ccc; padding-top: 0.5em; margin-top: 1.5em; }
h2 .op { font-weight: normal; color: #666; font-size: 0.8em; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dt { color: #666; }
dd { margin: 0; font-family: monospace; }
table.axes { border-collapse: collapse; font-family: monospace; margin: 0.5em 0; }
table.axes td, table.axes th { border: 1px solid #ddd; padding: 0.2em 0.6em; text-align: right; }
figure { margin: 1em 0; }
figure img { max-width: 100%; image-rendering: pixelated; border: 1px solid #eee; }
figcaption { color: #666; font-size: 0.9em; }
.warning { color: #b00; font-weight: bold; }
";

/// Marks every picture `data-loaded="yes"` once the browser has decoded it (and `"no"` if it
/// could not), so a test, or a reader's devtools, can see that each one really shows.
const SCRIPT: &str = "
for (const img of document.images) {
  const mark = () => { img.dataset.loaded = img.naturalWidth > 0 ? 'yes' : 'no'; };
  if (img.complete) { mark(); } else { img.addEventListener('load', mark); img.addEventListener('error', mark); }
}
";

/// A complete HTML document.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{POLICY}\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}<script>{SCRIPT}</script>\n</body>\n</html>\n",
        escape(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn data_uris_hold_a_png() {
        let uri = data_uri(&RgbImage::new(2, 2)).unwrap();
        let encoded = uri.strip_prefix("data:image/png;base64,").unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    }
}
