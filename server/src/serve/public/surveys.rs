//! The survey explorer's and the Fitbit tiles' public endpoints (docs/public.md):
//! `/surveys`, `/surveys/{id}[/{statistic}]`, `/surveys/questions/{id}[/{statistic}]`, `/fitbit` and
//! `/fitbit/{tile}/{statistic}`, answered from the published tables like the other routes.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use cohortlens::privacy::DisclosedTable;
use serde_json::json;

use super::{PublicData, json_answer, json_only, query, table_answer};
use crate::serve::ApiError;

/// Adds the survey and Fitbit routes to the public API's router.
pub(super) fn routes(router: Router<Arc<PublicData>>) -> Router<Arc<PublicData>> {
    router
        .route("/surveys", get(surveys))
        .route("/surveys/{id}", get(survey))
        .route("/surveys/{id}/{statistic}", get(survey_table))
        .route("/surveys/questions/{id}", get(question))
        .route("/surveys/questions/{id}/{statistic}", get(question_table))
        .route("/fitbit", get(fitbit))
        .route("/fitbit/{tile}/{statistic}", get(fitbit_table))
}

fn not_found(code: &'static str, message: String) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, code, message)
}

/// The tables published for `scope` and `id`.
fn scoped<'a>(
    data: &'a PublicData,
    scope: &str,
    id: Option<i32>,
) -> Option<&'a BTreeMap<String, DisclosedTable>> {
    data.scoped.get(&(scope.to_owned(), id))
}

/// One table of `tables`, or a 404 naming those there are.
fn one<'a>(
    tables: &'a BTreeMap<String, DisclosedTable>,
    statistic: &str,
    whose: &str,
) -> Result<&'a DisclosedTable, ApiError> {
    tables.get(statistic).ok_or_else(|| {
        let known: Vec<_> = tables.keys().map(String::as_str).collect();
        not_found(
            "unknown_statistic",
            format!("{whose} has no published statistic {statistic:?}; it has {}", known.join(", ")),
        )
    })
}

/// The published tables of question `id`.
fn question_tables<'a>(
    data: &'a PublicData,
    id: &str,
) -> Result<&'a BTreeMap<String, DisclosedTable>, ApiError> {
    let unknown = || {
        not_found(
            "unknown_question",
            format!(
                "no published survey question {id:?}: the public tier has questions with participants only; list \
                 them with /api/public/v1/surveys/{{surveyConceptId}}"
            ),
        )
    };
    let id: i32 = id.parse().map_err(|_| unknown())?;
    scoped(data, "question", Some(id)).ok_or_else(unknown)
}

/// `GET /api/public/v1/surveys`: the surveys with participants.
async fn surveys(
    State(data): State<Arc<PublicData>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (_, format) = query(raw.as_deref(), &[])?;
    let tables = scoped(&data, "surveys", None)
        .ok_or_else(|| not_found("unknown_statistic", "no surveys were published".into()))?;
    Ok(table_answer(&headers, one(tables, "surveys", "the survey list")?, format))
}

/// `GET /api/public/v1/surveys/{id}`: a survey's questions with participants.
async fn survey(
    State(data): State<Arc<PublicData>>,
    UrlPath(id): UrlPath<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (_, format) = query(raw.as_deref(), &[])?;
    Ok(table_answer(&headers, one(survey_tables(&data, &id)?, "questions", "the survey")?, format))
}

/// The published tables of survey `id`.
fn survey_tables<'a>(
    data: &'a PublicData,
    id: &str,
) -> Result<&'a BTreeMap<String, DisclosedTable>, ApiError> {
    let unknown = || {
        not_found(
            "unknown_survey",
            format!("no published survey {id:?}; list the surveys with /api/public/v1/surveys"),
        )
    };
    let survey: i32 = id.parse().map_err(|_| unknown())?;
    scoped(data, "survey", Some(survey)).ok_or_else(unknown)
}

/// `GET /api/public/v1/surveys/{id}/{statistic}`: one table of a survey: `questions`, or
/// `versions` (the version table of a survey with versions, COPE).
async fn survey_table(
    State(data): State<Arc<PublicData>>,
    UrlPath((id, statistic)): UrlPath<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (_, format) = query(raw.as_deref(), &[])?;
    let tables = survey_tables(&data, &id)?;
    Ok(table_answer(&headers, one(tables, &statistic, &format!("survey {id}"))?, format))
}

/// `GET /api/public/v1/surveys/questions/{id}`: a question and all its tables.
async fn question(
    State(data): State<Arc<PublicData>>,
    UrlPath(id): UrlPath<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    json_only(raw.as_deref(), "a question has", "/api/public/v1/surveys/questions/{id}/{statistic}")?;
    let tables = question_tables(&data, &id)?;
    let listed = (data.manifest.surveys.iter())
        .flat_map(|s| s.questions.iter().map(move |q| (s, q)))
        .find(|(_, q)| q.concept_id.to_string() == id);
    let (survey, question) = listed.map_or((None, None), |(s, q)| (Some(s.concept_id), Some(q)));
    let body = json!({"question": question, "surveyConceptId": survey, "policy": data.manifest.policy, "statistics": tables});
    Ok(json_answer(&headers, &body))
}

/// `GET /api/public/v1/surveys/questions/{id}/{statistic}`: one table of a question.
async fn question_table(
    State(data): State<Arc<PublicData>>,
    UrlPath((id, statistic)): UrlPath<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (_, format) = query(raw.as_deref(), &[])?;
    let tables = question_tables(&data, &id)?;
    Ok(table_answer(&headers, one(tables, &statistic, &format!("question {id}"))?, format))
}

/// `GET /api/public/v1/fitbit`: the Fitbit tiles with their participants.
async fn fitbit(
    State(data): State<Arc<PublicData>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (_, format) = query(raw.as_deref(), &[])?;
    let tables = scoped(&data, "fitbit", None)
        .ok_or_else(|| not_found("unknown_statistic", "no Fitbit tiles were published".into()))?;
    Ok(table_answer(&headers, one(tables, "tiles", "Fitbit")?, format))
}

/// `GET /api/public/v1/fitbit/{tile}/{statistic}`: one table of a Fitbit tile.
async fn fitbit_table(
    State(data): State<Arc<PublicData>>,
    UrlPath((tile, statistic)): UrlPath<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (_, format) = query(raw.as_deref(), &[])?;
    let tables = scoped(&data, "fitbit", None)
        .ok_or_else(|| not_found("unknown_statistic", "no Fitbit tiles were published".into()))?;
    let key = format!("{tile}/{statistic}");
    let table = tables.get(&key).ok_or_else(|| {
        let known: Vec<_> = tables.keys().filter(|k| k.contains('/')).map(String::as_str).collect();
        not_found(
            "unknown_statistic",
            format!("no published Fitbit table {key:?}; there are {}", known.join(", ")),
        )
    })?;
    Ok(table_answer(&headers, table, format))
}
