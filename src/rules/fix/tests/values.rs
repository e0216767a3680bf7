//! Filters that make a value safe where it is made or joined: `confine-path` on a taint
//! rule's sink argument, `csprng` on the `origin` capture (where the value was first read).

use super::{fixed, part};

fn taint_rule(source: &str, callee: &str, fixes: &str) -> String {
    format!(
        "[taint]\nsources = [\"{source}\"]\n[[taint.sinks]]\ncallee = [\"{callee}\"]\npositions = [0]\n{fixes}"
    )
}

#[test]
fn confine_path_reduces_the_joined_parts_to_bare_names() {
    let r = taint_rule(
        "web-request",
        "open",
        &part("arg", "{arg|confine-path:os.path.basename}"),
    );
    let head =
        "import os\nfrom flask import request\n\ndef view():\n    name = request.args['n']\n";
    let f = |s: &str| fixed(&r, &format!("{head}{s}"));
    let out = |s: &str| Some(format!("{head}{s}"));
    assert_eq!(
        f("    open(os.path.join(BASE, 'x', name))\n"),
        out("    open(os.path.join(BASE, 'x', os.path.basename(name)))\n"),
        "literals and constants stay"
    );
    assert_eq!(
        f("    p = os.path.join(root, name)\n    log(p)\n    open(p)\n"),
        out("    p = os.path.join(root, os.path.basename(name))\n    log(p)\n    open(p)\n"),
        "a name bound once is edited where it is bound; the base stays"
    );
    assert_eq!(
        f("    open(Path(ROOT) / name / 'f.txt')\n"),
        out("    open(Path(ROOT) / os.path.basename(name) / 'f.txt')\n"),
        "pathlib joins"
    );
    assert_eq!(
        f("    p = os.path.join(ROOT, name)\n    p = p + '.txt'\n    open(p)\n"),
        None,
        "bound twice"
    );
    assert_eq!(f("    open(name)\n"), None, "not a join");
    assert_eq!(f("    open(os.path.join(*name))\n"), None, "a splat");
}

#[test]
fn csprng_moves_random_calls_to_the_system_generator() {
    let r = taint_rule(
        "weak-random",
        "set_token",
        &part("origin", "{origin|csprng}"),
    );
    let f = |s: &str| fixed(&r, s);
    assert_eq!(
        f("import random\nset_token(random.randint(0, 9))\n").as_deref(),
        Some("import random\nset_token(secrets.SystemRandom().randint(0, 9))\n")
    );
    assert_eq!(
        f("import random\nn = random.getrandbits(64)\nset_token(str(n))\n").as_deref(),
        Some("import random\nn = secrets.SystemRandom().getrandbits(64)\nset_token(str(n))\n"),
        "edited where the value is drawn"
    );
    assert_eq!(
        f("from random import choice\nset_token(choice(ALPHABET))\n").as_deref(),
        Some("from random import choice\nset_token(secrets.SystemRandom().choice(ALPHABET))\n")
    );
    assert_eq!(
        f("from random import choice as pick\nset_token(pick(ALPHABET))\n"),
        None,
        "an aliased import"
    );
    assert_eq!(
        f("import random\nr = random.Random(7)\nset_token(r.random())\n"),
        None,
        "a seeded instance"
    );
}

#[test]
fn escape_data_escapes_where_the_text_is_first_built_and_leaves_markup() {
    let r = taint_rule(
        "web-request",
        "respond",
        &(part("built", "{built|escape-data:html.escape}") + "fallback = true\n"),
    );
    let f = |s: &str| fixed(&r, s);
    let head = "from flask import request\n\n";
    // Rows of markup joined into the page stay; the request value in a row is escaped.
    let src = format!(
        "{head}def view():\n    q = request.args['q']\n    rows = []\n    rows.append('<li>%s</li>' % q)\n    page = '<ul>' + ''.join(rows) + '</ul>'\n    respond(page)\n"
    );
    assert_eq!(
        f(&src),
        Some(src.replace("% q)", "% html.escape(str(q)))")),
        "escaped in the row; the joined rows are markup"
    );
    // A number stays.
    let src = format!(
        "{head}def view():\n    q = request.args['q']\n    respond('<p>%s: %d</p>' % (q, len(q)))\n"
    );
    assert_eq!(
        f(&src),
        Some(src.replace("(q, len(q))", "(html.escape(str(q)), len(q))"))
    );
    // A helper of this file that builds markup is escaped inside, in every string it returns.
    let src = format!(
        "{head}def card(name):\n    if not name:\n        return f'<p>{{name}}?</p>'\n    return f'<h2>{{name}}</h2>'\n\ndef view():\n    respond(card(request.args['n']))\n"
    );
    assert_eq!(
        f(&src),
        Some(src.replace("{name}", "{html.escape(str(name))}")),
    );
}
