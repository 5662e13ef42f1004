//! Keeps the layering true: no import circle among the source files of the
//! core or of the server. A file depends on another when it names an item of
//! it by path (`crate::a::b`, `super::x`, `use crate::{a, b}`); a module's own
//! `mod x;` declarations do not count. A circle means two files cannot be read,
//! tested or changed one without the other — the shape issue 12 removed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module path (`pages::chat`, `""` for the crate root) → source text.
fn modules(src: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|x| x != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).expect("under src").with_extension("");
            let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if parts.last().is_some_and(|l| l == "mod" || l == "lib" || l == "main") {
                parts.pop();
            }
            let text = std::fs::read_to_string(&path).expect("read source");
            out.insert(parts.join("::"), code_of(&text));
        }
    }
    out
}

/// The text without line comments and without the unit tests at the end.
fn code_of(text: &str) -> String {
    let code: String = text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
    match code.find("#[cfg(test)]") {
        Some(i) => code[..i].to_owned(),
        None => code,
    }
}

fn parent(m: &str) -> String {
    m.rsplit_once("::").map(|(p, _)| p.to_owned()).unwrap_or_default()
}

fn join(base: &str, rest: &str) -> String {
    if base.is_empty() { rest.to_owned() } else { format!("{base}::{rest}") }
}

/// The path that follows `prefix` at byte `i`: identifiers joined by `::`, or a
/// brace group's items, each as its own path.
fn paths_after(code: &str, i: usize, out: &mut Vec<String>) {
    let rest = &code[i..];
    if let Some(group) = rest.strip_prefix('{') {
        let end = group.find("};").or_else(|| group.find('}')).unwrap_or(group.len());
        for item in group[..end].split([',', '{', '}']) {
            let item = item.trim().trim_end_matches("::").split(" as ").next().unwrap_or("").trim();
            if !item.is_empty() && item != "self" {
                out.push(item.to_owned());
            }
        }
        return;
    }
    let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':')).unwrap_or(rest.len());
    let path = rest[..len].trim_end_matches(':');
    if !path.is_empty() {
        out.push(path.to_owned());
    }
}

fn edges(mods: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let resolve = |path: &str| -> Option<String> {
        let segs: Vec<&str> = path.split("::").collect();
        (1..=segs.len()).rev().map(|n| segs[..n].join("::")).find(|m| mods.contains_key(m))
    };
    let mut graph = BTreeMap::new();
    for (m, code) in mods {
        let mut named = Vec::new();
        for (i, _) in code.match_indices("crate::") {
            let before = code[..i].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue; // `youying_core::…` is another crate
            }
            let mut found = Vec::new();
            paths_after(code, i + "crate::".len(), &mut found);
            named.extend(found);
        }
        for (i, _) in code.match_indices("super::") {
            let mut found = Vec::new();
            paths_after(code, i + "super::".len(), &mut found);
            named.extend(found.into_iter().map(|p| join(&parent(m), &p)));
        }
        let deps: BTreeSet<String> =
            named.iter().filter_map(|p| resolve(p)).filter(|t| t != m && !t.is_empty()).collect();
        graph.insert(m.clone(), deps);
    }
    graph
}

/// Strongly connected components with more than one file (Tarjan).
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in &s.graph[v] {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                comp.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.out.push(comp);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}

fn circles_in(crate_dir: &str) -> Vec<Vec<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(crate_dir).join("src");
    circles(&edges(&modules(&src)))
}

#[test]
fn the_core_has_no_import_circle() {
    let found = circles_in("../core");
    assert!(found.is_empty(), "files of crates/core that import each other in a circle: {found:?}");
}

#[test]
fn the_server_has_no_import_circle() {
    let found = circles_in(".");
    assert!(found.is_empty(), "files of crates/server that import each other in a circle: {found:?}");
}

#[test]
fn the_checker_sees_a_circle() {
    let mods: BTreeMap<String, String> = [
        ("a".to_owned(), "use crate::b::Thing;".to_owned()),
        ("b".to_owned(), "use super::c::{self, Other};".to_owned()),
        ("c".to_owned(), "fn f() { crate::a::g() }".to_owned()),
        ("d".to_owned(), "use crate::a;".to_owned()),
    ]
    .into();
    assert_eq!(circles(&edges(&mods)), vec![vec!["a".to_owned(), "b".to_owned(), "c".to_owned()]]);
}
