//! The built-in rule packs, embedded from `rules/` at build time. This list is the table of contents.

/// A pack's file in `rules/`, its TOML text, and the JSON the build wrote of it (empty when the
/// build could not read the TOML).
macro_rules! pack {
    ($file:literal) => {
        (
            $file,
            include_str!(concat!("../../rules/", $file)),
            include_str!(concat!(env!("OUT_DIR"), "/", $file, ".json")),
        )
    };
}

/// `(file name in rules/, TOML text, JSON text)`, in priority order: platform causes first, then
/// ecosystems.
pub(super) const PACKS: &[(&str, &str, &str)] = &[
    pack!("github-actions.toml"),
    pack!("ci-services.toml"),
    pack!("system.toml"),
    pack!("network.toml"),
    pack!("git.toml"),
    pack!("docker.toml"),
    pack!("cloud.toml"),
    pack!("node.toml"),
    pack!("javascript-tests.toml"),
    pack!("javascript-lint.toml"),
    pack!("python.toml"),
    pack!("python-tests-lint.toml"),
    pack!("ruby.toml"),
    pack!("php.toml"),
    pack!("jvm.toml"),
    pack!("dotnet.toml"),
    pack!("rust.toml"),
    pack!("go.toml"),
    pack!("c-cpp.toml"),
    pack!("other-languages.toml"),
    pack!("docs.toml"),
    pack!("mozilla.toml"),
    // Last: fallbacks from the failed step's name, weaker than any line rule.
    pack!("steps.toml"),
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
        let mut listed: Vec<String> = super::PACKS
            .iter()
            .map(|(f, _, _)| (*f).to_owned())
            .collect();
        listed.sort();
        assert_eq!(listed, on_disk);
    }
}
