//! Reads one top-level tree-sitter query pattern into a [`Step`] tree the native matcher runs.
//!
//! Only the subset the rules use is understood: node patterns with a kind or `_`, fields,
//! alternations, captures, anchors (`.`) and predicates. Anything else (quantifiers, negated
//! fields, anonymous-node strings, supertypes, unknown kinds or fields, unknown predicates, a bad
//! regex) makes [`parse_pattern`] answer `None`: that query then runs through tree-sitter's own
//! query engine, exactly as before, so an unsupported construct costs speed, never findings.

use tree_sitter::Language;

use crate::rules::resolve::NamePattern;

/// Which nodes one step accepts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// `(_)`: any named node.
    AnyNamed,
    /// One of these kind ids (named kinds of one name).
    Ids(Vec<u16>),
}

/// One node of a pattern, or an alternation of them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Step {
    pub kind: Kind,
    /// `[a b]`: the alternatives (then `kind` and `children` are unused).
    pub alts: Vec<Step>,
    /// `field: (...)`: the child must sit in this field.
    pub field: Option<u16>,
    pub children: Vec<Step>,
    /// `. (child)`: this child is the next named sibling of the previous child step (or the
    /// first named child when it is the first step).
    pub immediate: bool,
    /// `(child) .` after the last child: the last child step matches the last named child.
    pub anchor_last: bool,
    pub captures: Vec<u32>,
}

/// A text predicate, with tree-sitter's semantics (see `QueryMatch::satisfies_text_predicates`).
#[derive(Debug, Clone)]
pub(crate) enum TextPred {
    EqCapture(u32, u32, bool, bool),
    EqString(u32, String, bool, bool),
    Match(u32, regex::bytes::Regex, bool, bool),
    AnyOf(u32, Vec<String>, bool),
}

/// One parsed top-level pattern.
#[derive(Debug, Clone)]
pub(crate) struct Parsed {
    pub root: Step,
    /// Text predicates on one capture that must hold for each of its nodes: checked while
    /// matching, as soon as the capture is bound.
    pub early: Vec<(u32, TextPred)>,
    /// The other text predicates, checked on a complete match.
    pub text: Vec<TextPred>,
    /// `#qualname?`: (capture, names).
    pub qualname: Vec<(u32, Vec<NamePattern>)>,
}

/// Interns capture names across a query set.
#[derive(Debug, Default)]
pub(crate) struct Names {
    pub names: Vec<String>,
}

impl Names {
    fn id(&mut self, name: &str) -> u32 {
        match self.names.iter().position(|n| n == name) {
            Some(i) => i as u32,
            None => {
                self.names.push(name.to_string());
                (self.names.len() - 1) as u32
            }
        }
    }
}

/// Parses one top-level pattern; `None` when it uses anything outside the supported subset.
pub(crate) fn parse_pattern(src: &str, lang: &Language, names: &mut Names) -> Option<Parsed> {
    let mut p = P {
        b: src.as_bytes(),
        i: 0,
        lang,
        names,
        text: Vec::new(),
        qualname: Vec::new(),
    };
    let mut root = p.element()?;
    // A top-level pattern is one element followed by captures and predicates only.
    p.captures_and_predicates(&mut root)?;
    p.ws();
    if p.i != p.b.len() {
        return None;
    }
    let (early, text) = p.text.into_iter().partition::<Vec<_>, _>(|t| match t {
        TextPred::EqString(_, _, _, all) | TextPred::Match(_, _, _, all) => *all,
        TextPred::AnyOf(..) => true,
        TextPred::EqCapture(..) => false,
    });
    let early = early
        .into_iter()
        .map(|t| match &t {
            TextPred::EqString(c, ..) | TextPred::Match(c, ..) | TextPred::AnyOf(c, ..) => (*c, t),
            TextPred::EqCapture(c, ..) => (*c, t),
        })
        .collect();
    Some(Parsed {
        root,
        early,
        text,
        qualname: p.qualname,
    })
}

/// Whether a step only ever matches named nodes (anchors are only supported for those).
fn named_only(step: &Step, lang: &Language) -> bool {
    if !step.alts.is_empty() {
        return step.alts.iter().all(|a| named_only(a, lang));
    }
    match &step.kind {
        Kind::AnyNamed => true,
        Kind::Ids(ids) => ids.iter().all(|&i| lang.node_kind_is_named(i)),
    }
}

struct P<'a> {
    b: &'a [u8],
    i: usize,
    lang: &'a Language,
    names: &'a mut Names,
    text: Vec<TextPred>,
    qualname: Vec<(u32, Vec<NamePattern>)>,
}

impl P<'_> {
    fn ws(&mut self) {
        loop {
            while self.i < self.b.len() && self.b[self.i].is_ascii_whitespace() {
                self.i += 1;
            }
            if self.peek() == Some(b';') {
                while self.i < self.b.len() && self.b[self.i] != b'\n' {
                    self.i += 1;
                }
                continue;
            }
            return;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ident(&mut self) -> Option<&str> {
        let s = self.i;
        while let Some(&c) = self.b.get(self.i) {
            let dot_inside = c == b'.'
                && self
                    .b
                    .get(self.i + 1)
                    .is_some_and(|n| n.is_ascii_alphanumeric() || *n == b'_');
            if !(c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'?' | b'!') || dot_inside)
            {
                break;
            }
            self.i += 1;
        }
        (self.i > s).then(|| std::str::from_utf8(&self.b[s..self.i]).ok())?
    }

    /// `@name` captures and `(#pred ...)` predicates after an element.
    fn captures_and_predicates(&mut self, step: &mut Step) -> Option<()> {
        loop {
            self.ws();
            match self.peek() {
                Some(b'@') => {
                    self.i += 1;
                    let n = self.ident()?.to_string();
                    step.captures.push(self.names.id(&n));
                }
                Some(b'(') if self.b.get(self.i + 1) == Some(&b'#') => self.predicate()?,
                _ => return Some(()),
            }
        }
    }

    fn element(&mut self) -> Option<Step> {
        self.ws();
        let mut step = match self.peek()? {
            b'[' => {
                self.i += 1;
                let mut alts = Vec::new();
                loop {
                    self.ws();
                    if self.peek()? == b']' {
                        self.i += 1;
                        break;
                    }
                    let mut alt = self.element()?;
                    self.captures_and_predicates(&mut alt)?;
                    alts.push(alt);
                }
                if alts.is_empty() {
                    return None;
                }
                Step {
                    kind: Kind::AnyNamed,
                    alts,
                    field: None,
                    children: Vec::new(),
                    immediate: false,
                    anchor_last: false,
                    captures: Vec::new(),
                }
            }
            b'(' => {
                self.i += 1;
                self.ws();
                if matches!(self.peek()?, b'(' | b'[') {
                    // A group of one element (with captures and predicates).
                    let mut inner = self.element()?;
                    self.captures_and_predicates(&mut inner)?;
                    self.ws();
                    if self.peek()? != b')' {
                        return None; // a sequence of siblings
                    }
                    self.i += 1;
                    inner
                } else {
                    let name = self.ident()?.to_string();
                    let kind = if name == "_" {
                        Kind::AnyNamed
                    } else {
                        Kind::Ids(self.kind_ids(&name)?)
                    };
                    let mut step = Step {
                        kind,
                        alts: Vec::new(),
                        field: None,
                        children: Vec::new(),
                        immediate: false,
                        anchor_last: false,
                        captures: Vec::new(),
                    };
                    let mut pending_anchor = false;
                    loop {
                        self.ws();
                        match self.peek()? {
                            b')' => {
                                self.i += 1;
                                if pending_anchor {
                                    if step.children.is_empty() {
                                        return None;
                                    }
                                    step.anchor_last = true;
                                }
                                break;
                            }
                            b'.' => {
                                self.i += 1;
                                pending_anchor = true;
                            }
                            b'(' if self.b.get(self.i + 1) == Some(&b'#') => self.predicate()?,
                            b'@' => return None, // capture without an element
                            b'!' => return None,
                            b'(' | b'[' | b'"' => {
                                let mut child = self.element()?;
                                self.captures_and_predicates(&mut child)?;
                                child.immediate = std::mem::take(&mut pending_anchor);
                                if child.immediate && !named_only(&child, self.lang) {
                                    return None;
                                }
                                step.children.push(child);
                            }
                            _ => {
                                // `field: element`
                                let f = self.ident()?.to_string();
                                self.ws();
                                if self.peek()? != b':' {
                                    return None;
                                }
                                self.i += 1;
                                let fid = self.lang.field_id_for_name(&f)?.get();
                                let mut child = self.element()?;
                                self.captures_and_predicates(&mut child)?;
                                if child.field.is_some() {
                                    return None;
                                }
                                child.field = Some(fid);
                                child.immediate = std::mem::take(&mut pending_anchor);
                                if child.immediate && !named_only(&child, self.lang) {
                                    return None;
                                }
                                step.children.push(child);
                            }
                        }
                    }
                    step
                }
            }
            b'"' => {
                // An anonymous node (`"+"`).
                let lit = self.string()?;
                let id = self.lang.id_for_node_kind(&lit, false);
                if id == 0 || self.lang.node_kind_is_named(id) {
                    return None;
                }
                Step {
                    kind: Kind::Ids(vec![id]),
                    alts: Vec::new(),
                    field: None,
                    children: Vec::new(),
                    immediate: false,
                    anchor_last: false,
                    captures: Vec::new(),
                }
            }
            _ => return None,
        };
        // Quantifiers are not supported.
        if matches!(self.peek(), Some(b'?' | b'*' | b'+')) {
            return None;
        }
        step.captures.shrink_to_fit();
        Some(step)
    }

    fn kind_ids(&self, name: &str) -> Option<Vec<u16>> {
        let id = self.lang.id_for_node_kind(name, true);
        if id == 0 || self.lang.supertypes().contains(&id) {
            return None;
        }
        Some(vec![id])
    }

    fn string(&mut self) -> Option<String> {
        if self.peek()? != b'"' {
            return None;
        }
        self.i += 1;
        let mut out = String::new();
        loop {
            let rest = std::str::from_utf8(&self.b[self.i..]).ok()?;
            let c = rest.chars().next()?;
            self.i += c.len_utf8();
            match c {
                '"' => return Some(out),
                '\\' => {
                    let rest = std::str::from_utf8(&self.b[self.i..]).ok()?;
                    let e = rest.chars().next()?;
                    self.i += e.len_utf8();
                    out.push(match e {
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        '0' => '\0',
                        other => other,
                    });
                }
                other => out.push(other),
            }
        }
    }

    fn predicate(&mut self) -> Option<()> {
        self.i += 2; // "(#"
        let op = self.ident()?.to_string();
        let mut caps = Vec::new();
        let mut strs = Vec::new();
        let mut order = Vec::new(); // true = capture
        loop {
            self.ws();
            match self.peek()? {
                b')' => {
                    self.i += 1;
                    break;
                }
                b'@' => {
                    self.i += 1;
                    let n = self.ident()?.to_string();
                    caps.push(self.names.id(&n));
                    order.push(true);
                }
                b'"' => {
                    strs.push(self.string()?);
                    order.push(false);
                }
                _ => return None,
            }
        }
        if order.first() != Some(&true) {
            return None;
        }
        let c0 = caps[0];
        match op.as_str() {
            "eq?" | "not-eq?" | "any-eq?" | "any-not-eq?" => {
                if order.len() != 2 {
                    return None;
                }
                let positive = op == "eq?" || op == "any-eq?";
                let all = op == "eq?" || op == "not-eq?";
                self.text.push(if order[1] {
                    TextPred::EqCapture(c0, caps[1], positive, all)
                } else {
                    TextPred::EqString(c0, strs.pop()?, positive, all)
                });
            }
            "match?" | "not-match?" | "any-match?" | "any-not-match?" => {
                if order != [true, false] {
                    return None;
                }
                let positive = op == "match?" || op == "any-match?";
                let all = op == "match?" || op == "not-match?";
                let re = crate::rules::regexes::bytes(&strs[0]).ok()?;
                self.text.push(TextPred::Match(c0, re, positive, all));
            }
            "any-of?" | "not-any-of?" => {
                if caps.len() != 1 || strs.is_empty() {
                    return None;
                }
                self.text.push(TextPred::AnyOf(c0, strs, op == "any-of?"));
            }
            "qualname?" => {
                if caps.len() != 1 || strs.is_empty() {
                    return None;
                }
                let pats: Option<Vec<NamePattern>> =
                    strs.iter().map(|s| NamePattern::parse(s).ok()).collect();
                self.qualname.push((c0, pats?));
            }
            _ => return None,
        }
        Some(())
    }
}
