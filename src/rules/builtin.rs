//! The built-in rule packs, embedded from `rules/` at build time. This list is the table of contents.

/// `(file name in rules/, TOML text)`, in priority order: platform causes first, then ecosystems.
pub(super) const PACKS: &[(&str, &str)] = &[
    (
        "github-actions.toml",
        include_str!("../../rules/github-actions.toml"),
    ),
    (
        "ci-services.toml",
        include_str!("../../rules/ci-services.toml"),
    ),
    ("system.toml", include_str!("../../rules/system.toml")),
    ("network.toml", include_str!("../../rules/network.toml")),
    ("git.toml", include_str!("../../rules/git.toml")),
    ("docker.toml", include_str!("../../rules/docker.toml")),
    ("cloud.toml", include_str!("../../rules/cloud.toml")),
    ("node.toml", include_str!("../../rules/node.toml")),
    (
        "javascript-tests.toml",
        include_str!("../../rules/javascript-tests.toml"),
    ),
    (
        "javascript-lint.toml",
        include_str!("../../rules/javascript-lint.toml"),
    ),
    ("python.toml", include_str!("../../rules/python.toml")),
    (
        "python-tests-lint.toml",
        include_str!("../../rules/python-tests-lint.toml"),
    ),
    ("ruby.toml", include_str!("../../rules/ruby.toml")),
    ("php.toml", include_str!("../../rules/php.toml")),
    ("jvm.toml", include_str!("../../rules/jvm.toml")),
    ("dotnet.toml", include_str!("../../rules/dotnet.toml")),
    ("rust.toml", include_str!("../../rules/rust.toml")),
    ("go.toml", include_str!("../../rules/go.toml")),
    ("c-cpp.toml", include_str!("../../rules/c-cpp.toml")),
    (
        "other-languages.toml",
        include_str!("../../rules/other-languages.toml"),
    ),
    ("docs.toml", include_str!("../../rules/docs.toml")),
    ("mozilla.toml", include_str!("../../rules/mozilla.toml")),
    // Last: fallbacks from the failed step's name, weaker than any line rule.
    ("steps.toml", include_str!("../../rules/steps.toml")),
];

#[cfg(test)]
mod tests {
    /// Every pack in `rules/` is embedded, and nothing else.
    #[test]
    fn every_pack_file_is_listed() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = super::PACKS.iter().map(|(f, _)| (*f).to_owned()).collect();
        listed.sort();
        assert_eq!(listed, on_disk);
    }
}
