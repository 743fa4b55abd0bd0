//! Markdown rendered from minijinja templates in `templates/`, embedded, overridable from a directory.
//!
//! A template's context is the JSON report itself (see `recovery-agent schema`), so what a template can
//! use is exactly what the report documents. Log text reaches a template already redacted; templates
//! must pass it through the filters below, which neutralise it for GitHub Markdown.

use std::path::Path;

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{Environment, TemplateSource, UndefinedBehavior};

use super::escape;

/// The default templates, `(name, source)`. A user directory may override any of them by name.
pub(crate) const TEMPLATES: &[(&str, &str)] = &[
    ("report.md.j2", include_str!("../../templates/report.md.j2")),
    ("eval.md.j2", include_str!("../../templates/eval.md.j2")),
    (
        "summary.md.j2",
        include_str!("../../templates/summary.md.j2"),
    ),
    ("issue.md.j2", include_str!("../../templates/issue.md.j2")),
];

/// Why Markdown could not be rendered.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TemplateError {
    #[error("template `{name}`: {message}")]
    Render { name: String, message: String },
}

fn environment(user_dir: Option<&Path>) -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_syntax(
        SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()?,
    );
    env.add_filter("md", |s: &str| escape::inline(s));
    env.add_filter("md_cell", |s: &str| escape::cell(s));
    env.add_filter("code_block", |s: &str, lang: Option<&str>| {
        escape::code_block(s, lang.unwrap_or(""))
    });
    let user = user_dir.map(minijinja::path_loader);
    env.set_loader(move |name| {
        if let Some(load) = &user
            && let Some(source) = load(name)?
        {
            return Ok(Some(source));
        }
        Ok(TEMPLATES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| TemplateSource::from(*s)))
    });
    Ok(env)
}

/// Renders `context` with the template `name`, preferring `user_dir`'s copy of it. The output ends
/// with a newline.
pub(crate) fn render(
    context: &impl serde::Serialize,
    name: &str,
    user_dir: Option<&Path>,
) -> Result<String, TemplateError> {
    let err = |e: minijinja::Error| TemplateError::Render {
        name: name.to_owned(),
        message: describe(&e),
    };
    let env = environment(user_dir).map_err(err)?;
    let template = env.get_template(name).map_err(err)?;
    let mut out = template.render(Serde(context)).map_err(err)?;
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// A minijinja error with its location and cause chain, on one line.
fn describe(e: &minijinja::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}
