//! The vocabulary: the dataset's `concept` table (id → name, domain, vocabulary, class,
//! standard flag, code) and its `concept_ancestor` hierarchy (all descendants of a concept;
//! parents and children at one level of separation), its `Maps to` rows of
//! `concept_relationship` (the concepts that map to a standard concept), and concept search for the Cohort
//! Builder — by id, by code or by name words, per domain — with the hierarchy of each hit (the
//! engine adds how many persons have it, as [`Disclosed`] counts).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::cdm::Domain;
use crate::columns::{self, ColumnError, NULL_I32};
use crate::privacy::Disclosed;
use crate::store::{Store, Table};

/// Why the vocabulary could not be built or searched.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum VocabError {
    /// A vocabulary column is missing or unusable.
    #[error(transparent)]
    Column(#[from] ColumnError),
    /// The search names a domain the vocabulary does not know.
    #[error(
        "unknown domain {0:?}; use a Cohort Builder domain (CONDITION, DRUG, MEASUREMENT, SURVEY, …) or a concept domain_id such as Condition"
    )]
    UnknownDomain(String),
}

/// One row of `concept`.
#[derive(Clone, Debug, PartialEq)]
pub struct Concept {
    /// `concept_id`.
    pub id: i32,
    /// `concept_name`.
    pub name: String,
    /// `domain_id`, e.g. `Condition`.
    pub domain: String,
    /// `vocabulary_id`, e.g. `SNOMED`.
    pub vocabulary: String,
    /// `concept_class_id`.
    pub class: String,
    /// Whether `standard_concept` is `S`.
    pub standard: bool,
    /// `concept_code`.
    pub code: String,
}

/// The dataset's concepts and their hierarchy.
#[derive(Debug, Default)]
pub struct Vocab {
    concepts: Vec<Concept>,
    by_id: HashMap<i32, usize>,
    descendants: HashMap<i32, Vec<i32>>,
    parents: HashMap<i32, Vec<i32>>,
    children: HashMap<i32, Vec<i32>>,
    /// Distinct `vocabulary_id`s, upper case, sorted.
    vocabularies: Vec<String>,
    /// `concept_id_2` → the `concept_id_1`s of its `Maps to` rows; `None` without a
    /// `concept_relationship` table.
    mapped_from: Option<HashMap<i32, Vec<i32>>>,
}

fn text(values: &mut [Option<String>], i: usize) -> String {
    values.get_mut(i).and_then(Option::take).unwrap_or_default()
}

impl Vocab {
    /// Builds the vocabulary from the store's `concept`, `concept_ancestor` and
    /// `concept_relationship` tables (any may be absent: the vocabulary is then empty, flat or
    /// without mappings).
    pub fn build(store: &Store) -> Result<Vocab, VocabError> {
        let mut vocab = Vocab::default();
        for name in ["concept", "concept_ancestor", "concept_relationship"] {
            if let Some(t) = store.table(name) {
                vocab.absorb(t)?;
            }
        }
        vocab.finish();
        Ok(vocab)
    }

    /// Whether the vocabulary is built from `table`.
    pub(crate) fn reads(table: &str) -> bool {
        matches!(table, "concept" | "concept_ancestor" | "concept_relationship")
    }

    /// Adds some batches of `concept`, `concept_ancestor` or `concept_relationship` (in any order, any number of
    /// times); [`Vocab::finish`] completes the vocabulary.
    pub(crate) fn absorb(&mut self, t: &Table) -> Result<(), VocabError> {
        match t.name() {
            "concept" => self.add_concepts(t),
            "concept_ancestor" => self.add_ancestors(t),
            "concept_relationship" => self.add_relationships(t),
            _ => Ok(()),
        }
    }

    /// Sorts the hierarchy and lists the vocabularies.
    pub(crate) fn finish(&mut self) {
        for list in self
            .descendants
            .values_mut()
            .chain(self.children.values_mut())
            .chain(self.parents.values_mut())
            .chain(self.mapped_from.iter_mut().flat_map(|m| m.values_mut()))
        {
            list.sort_unstable();
            list.dedup();
        }
        self.vocabularies = self.concepts.iter().map(|c| c.vocabulary.to_uppercase()).collect();
        self.vocabularies.sort_unstable();
        self.vocabularies.dedup();
    }

    fn add_concepts(&mut self, t: &Table) -> Result<(), VocabError> {
        let ids = columns::i32s(t, "concept_id", true)?;
        let mut names = columns::strings(t, "concept_name", false)?;
        let mut domains = columns::strings(t, "domain_id", false)?;
        let mut vocabularies = columns::strings(t, "vocabulary_id", false)?;
        let mut classes = columns::strings(t, "concept_class_id", false)?;
        let standard = columns::strings(t, "standard_concept", false)?;
        let mut codes = columns::strings(t, "concept_code", false)?;
        for (i, &id) in ids.iter().enumerate() {
            if id == NULL_I32 || self.by_id.contains_key(&id) {
                continue;
            }
            self.by_id.insert(id, self.concepts.len());
            self.concepts.push(Concept {
                id,
                name: text(&mut names, i),
                domain: text(&mut domains, i),
                vocabulary: text(&mut vocabularies, i),
                class: text(&mut classes, i),
                standard: standard.get(i).is_some_and(|s| s.as_deref() == Some("S")),
                code: text(&mut codes, i),
            });
        }
        Ok(())
    }

    fn add_ancestors(&mut self, t: &Table) -> Result<(), VocabError> {
        let ancestors = columns::i32s(t, "ancestor_concept_id", true)?;
        let descendants = columns::i32s(t, "descendant_concept_id", true)?;
        let levels = columns::i32s(t, "min_levels_of_separation", false)?;
        for ((&a, &d), &level) in ancestors.iter().zip(&descendants).zip(&levels) {
            if a == NULL_I32 || d == NULL_I32 {
                continue;
            }
            self.descendants.entry(a).or_default().push(d);
            if level == 1 && a != d {
                self.children.entry(a).or_default().push(d);
                self.parents.entry(d).or_default().push(a);
            }
        }
        Ok(())
    }

    /// Keeps the `Maps to` rows (`relationship_id` compared without case, as the Data
    /// Browser's MySQL query does).
    fn add_relationships(&mut self, t: &Table) -> Result<(), VocabError> {
        let from = columns::i32s(t, "concept_id_1", true)?;
        let to = columns::i32s(t, "concept_id_2", true)?;
        let relationships = columns::strings(t, "relationship_id", true)?;
        let mapped_from = self.mapped_from.get_or_insert_with(HashMap::new);
        for ((&a, &b), r) in from.iter().zip(&to).zip(&relationships) {
            if a != NULL_I32
                && b != NULL_I32
                && r.as_deref().is_some_and(|r| r.eq_ignore_ascii_case("maps to"))
            {
                mapped_from.entry(b).or_default().push(a);
            }
        }
        Ok(())
    }

    /// The concepts with a `Maps to` row to `id` (`concept_id_1` of the rows whose
    /// `concept_id_2` is `id`), sorted; `None` when the dataset has no `concept_relationship`.
    pub fn mapped_from(&self, id: i32) -> Option<&[i32]> {
        self.mapped_from.as_ref().map(|m| m.get(&id).map_or(&[][..], Vec::as_slice))
    }

    /// Every concept, in table order.
    pub fn concepts(&self) -> &[Concept] {
        &self.concepts
    }

    /// The concept of that id.
    pub fn concept(&self, id: i32) -> Option<&Concept> {
        self.by_id.get(&id).map(|&i| &self.concepts[i])
    }

    /// Every `descendant_concept_id` of `concept_ancestor` rows whose ancestor is `id`, sorted.
    pub fn descendants(&self, id: i32) -> &[i32] {
        self.descendants.get(&id).map_or(&[], Vec::as_slice)
    }

    /// The concepts whose code starts with the code of `id`, in its vocabulary, when that
    /// vocabulary is one of `vocabularies` (a source hierarchy read from the codes, `E11` >
    /// `E11.65`); `id` itself is among them.
    pub fn code_descendants(&self, id: i32, vocabularies: &[&str]) -> Vec<i32> {
        let Some(c) =
            self.concept(id).filter(|c| !c.code.is_empty() && vocabularies.contains(&c.vocabulary.as_str()))
        else {
            return Vec::new();
        };
        self.concepts
            .iter()
            .filter(|d| d.vocabulary == c.vocabulary && d.code.starts_with(&c.code))
            .map(|d| d.id)
            .collect()
    }

    /// Direct parents (one level of separation).
    pub fn parents(&self, id: i32) -> &[i32] {
        self.parents.get(&id).map_or(&[], Vec::as_slice)
    }

    /// Direct children (one level of separation).
    pub fn children(&self, id: i32) -> &[i32] {
        self.children.get(&id).map_or(&[], Vec::as_slice)
    }

    /// Whether some concept is of the vocabulary `id` (case-insensitive).
    pub fn is_vocabulary(&self, id: &str) -> bool {
        self.vocabularies.binary_search(&id.to_uppercase()).is_ok()
    }

    /// Number of concepts.
    pub fn len(&self) -> usize {
        self.concepts.len()
    }

    /// Whether the vocabulary has no concept.
    pub fn is_empty(&self) -> bool {
        self.concepts.is_empty()
    }

    /// Searches concepts by id, code (exact, then prefix) or name words (case-insensitive, all
    /// words must occur), in one domain if asked: every match with how well it matches (0 the
    /// id, 1 the code, 2 a code prefix, 3 the name words), unordered and unlimited (the engine
    /// ranks them by disclosed person counts and applies [`ConceptQuery::limit`]).
    pub fn search(&self, query: &ConceptQuery) -> Result<Vec<(u8, &Concept)>, VocabError> {
        let filter = query.domain.as_deref().map(DomainFilter::parse).transpose()?;
        let q = query.query.trim().to_lowercase();
        let id: Option<i32> = q.parse().ok();
        let words: Vec<&str> = q.split_whitespace().collect();
        let mut out = Vec::new();
        for c in &self.concepts {
            if filter.as_ref().is_some_and(|f| !f.admits(c)) {
                continue;
            }
            let code = c.code.to_lowercase();
            let rank = if id == Some(c.id) {
                0
            } else if !q.is_empty() && code == q {
                1
            } else if !q.is_empty() && code.starts_with(&q) {
                2
            } else {
                let name = c.name.to_lowercase();
                if !words.iter().all(|w| name.contains(w)) {
                    continue;
                }
                3
            };
            out.push((rank, c));
        }
        Ok(out)
    }

    /// The search hit of concept `c`, with its hierarchy and its disclosed person counts.
    pub(crate) fn hit(&self, c: &Concept, count: Disclosed, count_with_descendants: Disclosed) -> ConceptHit {
        let reference = |id: &i32| ConceptRef {
            concept_id: *id,
            name: self.concept(*id).map(|c| c.name.clone()).unwrap_or_default(),
        };
        ConceptHit {
            concept_id: c.id,
            name: c.name.clone(),
            domain: c.domain.clone(),
            vocabulary: c.vocabulary.clone(),
            concept_class: c.class.clone(),
            standard: c.standard,
            code: c.code.clone(),
            parents: self.parents(c.id).iter().map(reference).collect(),
            children: self.children(c.id).iter().map(reference).collect(),
            count,
            count_with_descendants,
        }
    }
}

/// A concept search: words, code or id, an optional domain and a result limit.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct ConceptQuery {
    /// Name words, a code or a concept id.
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub query: String,
    /// A Cohort Builder domain (`CONDITION`, `SURVEY`, …) or a `domain_id` (`Condition`).
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub domain: Option<String>,
    /// Most hits returned (default 20, at most 1,000).
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub limit: Option<usize>,
}

impl ConceptQuery {
    /// Most hits returned: `limit`, by default 20, at most 1,000.
    pub fn limit(&self) -> usize {
        self.limit.unwrap_or(20).min(1_000)
    }
}

/// Which concepts a domain filter admits.
struct DomainFilter {
    domains: &'static [&'static str],
    /// `Some(true)`: PPI concepts only; `Some(false)`: no PPI concepts.
    ppi: Option<bool>,
    /// A `domain_id` given as is (lower case).
    raw: Option<String>,
}

impl DomainFilter {
    fn parse(domain: &str) -> Result<DomainFilter, VocabError> {
        match Domain::parse(domain) {
            // FITBIT has no concepts of its own: read it as a domain_id, as any other word.
            Some(d) if d != Domain::Fitbit => {
                Ok(DomainFilter { domains: d.concept_domains(), ppi: d.ppi(), raw: None })
            }
            _ if !domain.is_empty()
                && domain.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '_') =>
            {
                Ok(DomainFilter { domains: &[], ppi: None, raw: Some(domain.to_lowercase()) })
            }
            _ => Err(VocabError::UnknownDomain(domain.to_owned())),
        }
    }

    fn admits(&self, c: &Concept) -> bool {
        if let Some(raw) = &self.raw {
            return c.domain.to_lowercase() == *raw;
        }
        self.domains.contains(&c.domain.as_str()) && self.ppi.is_none_or(|ppi| (c.vocabulary == "PPI") == ppi)
    }
}

/// A concept named in a hit's hierarchy.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct ConceptRef {
    /// Its id.
    pub concept_id: i32,
    /// Its name (empty when the concept is not in `concept`).
    pub name: String,
}

/// One concept search result.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct ConceptHit {
    /// `concept_id`.
    pub concept_id: i32,
    /// `concept_name`.
    pub name: String,
    /// `domain_id`.
    pub domain: String,
    /// `vocabulary_id`.
    pub vocabulary: String,
    /// `concept_class_id`.
    pub concept_class: String,
    /// Whether it is a standard concept.
    pub standard: bool,
    /// `concept_code`.
    pub code: String,
    /// Direct parents.
    pub parents: Vec<ConceptRef>,
    /// Direct children.
    pub children: Vec<ConceptRef>,
    /// Persons with a row of this concept.
    pub count: Disclosed,
    /// Persons with a row of this concept or any descendant.
    pub count_with_descendants: Disclosed,
}
