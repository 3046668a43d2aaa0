//! Which dataset a key belongs to: by default its folder cut to N path segments
//! (`zarr/<id>/0/1` → `zarr/<id>`), or, when the person gives a mapping file
//! (`prefix,name,doi`), the dataset of the longest prefix the key starts with; keys that
//! match none are [`OTHER`].

use crate::summary::key_prefix;
use serde::{Deserialize, Serialize};

/// The dataset of keys that match no prefix of the mapping.
pub const OTHER: &str = "other";

/// One line of the mapping file: keys that start with `prefix` belong to `name`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetRule {
    /// A key prefix, as the keys read (raw or URL-decoded).
    pub prefix: String,
    /// The dataset's name.
    pub name: String,
    /// Its DOI, if it has one.
    #[serde(default)]
    pub doi: String,
}

/// Reads a mapping file: CSV rows `prefix,name,doi` (the DOI may be left out), an
/// optional header row `prefix,name,doi`. The error names the row.
pub fn parse_mapping(text: &str) -> Result<Vec<DatasetRule>, String> {
    let mut rows = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let mut rules: Vec<DatasetRule> = Vec::new();
    for (i, row) in rows.records().enumerate() {
        let row = row.map_err(|e| format!("datasets, row {}: {e}", i + 1))?;
        let cell = |k: usize| row.get(k).unwrap_or("").to_string();
        if row.iter().all(str::is_empty) {
            continue;
        }
        if i == 0 && cell(0).eq_ignore_ascii_case("prefix") && cell(1).eq_ignore_ascii_case("name")
        {
            continue;
        }
        if row.len() > 3 {
            return Err(format!(
                "datasets, row {}: {} columns; a row is prefix,name,doi",
                i + 1,
                row.len()
            ));
        }
        let rule = DatasetRule {
            prefix: cell(0),
            name: cell(1),
            doi: cell(2),
        };
        if rule.prefix.is_empty() || rule.name.is_empty() {
            return Err(format!(
                "datasets, row {}: a row needs a key prefix and a name (prefix,name,doi)",
                i + 1
            ));
        }
        if rules.iter().any(|r| r.prefix == rule.prefix) {
            return Err(format!(
                "datasets, row {}: the prefix `{}` is given twice",
                i + 1,
                rule.prefix
            ));
        }
        rules.push(rule);
    }
    Ok(rules)
}

/// The dataset rules of the settings, ready for the keys.
#[derive(Clone, Debug)]
pub enum Datasets {
    /// A key's folder cut to this many path segments.
    Segments(u32),
    /// The mapping, longest prefix first.
    Map(Vec<DatasetRule>),
}

impl Datasets {
    /// From the settings: the mapping when there is one, else the segments.
    pub fn new(segments: u32, rules: &[DatasetRule]) -> Datasets {
        if rules.is_empty() {
            return Datasets::Segments(segments.max(1));
        }
        let mut rules = rules.to_vec();
        rules.sort_by(|a, b| {
            b.prefix
                .len()
                .cmp(&a.prefix.len())
                .then_with(|| a.prefix.cmp(&b.prefix))
        });
        Datasets::Map(rules)
    }

    /// The dataset (name, DOI) of a raw key.
    pub fn of(&self, key: &[u8]) -> (String, String) {
        match self {
            Datasets::Segments(n) => (
                String::from_utf8_lossy(key_prefix(key, *n)).into_owned(),
                String::new(),
            ),
            Datasets::Map(rules) => {
                let decoded = crate::text::url_decode(key);
                rules
                    .iter()
                    .find(|r| {
                        key.starts_with(r.prefix.as_bytes()) || decoded.starts_with(&r.prefix)
                    })
                    .map_or((OTHER.to_string(), String::new()), |r| {
                        (r.name.clone(), r.doi.clone())
                    })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_prefix_wins_and_other_keys_are_other() {
        let rules = parse_mapping(
            "prefix,name,doi\nzarr/,All zarr,\nzarr/ab12/,Brain atlas,10.48324/dandi.000026\n\n# a comment\nraw data/,Raw,\n",
        )
        .unwrap();
        assert_eq!(rules.len(), 3);
        let d = Datasets::new(2, &rules);
        assert_eq!(
            d.of(b"zarr/ab12/0/0/1"),
            ("Brain atlas".into(), "10.48324/dandi.000026".into())
        );
        assert_eq!(d.of(b"zarr/cd34/0"), ("All zarr".into(), String::new()));
        // Keys are URL-encoded in the log; the person writes them as they read them.
        assert_eq!(d.of(b"raw%20data/x.nii"), ("Raw".into(), String::new()));
        assert_eq!(d.of(b"blobs/11e/c89"), (OTHER.into(), String::new()));
        assert_eq!(
            Datasets::new(2, &[]).of(b"zarr/ab12/0/0/1"),
            ("zarr/ab12".into(), String::new())
        );
    }

    #[test]
    fn a_bad_mapping_is_explained() {
        assert!(parse_mapping("a/,x,y,z").unwrap_err().contains("row 1"));
        assert!(parse_mapping("a/,x\na/,y").unwrap_err().contains("twice"));
        assert!(parse_mapping("a/\n")
            .unwrap_err()
            .contains("prefix and a name"));
        assert!(parse_mapping("").unwrap().is_empty());
        assert_eq!(
            parse_mapping("\"a,b/\",\"Name, with comma\",10.1/x").unwrap()[0],
            DatasetRule {
                prefix: "a,b/".into(),
                name: "Name, with comma".into(),
                doi: "10.1/x".into()
            }
        );
    }
}
