//! Every subcommand and every flag of the command line documents itself, and no flag's help
//! has drifted into another's (a doc comment left above the wrong field shows up as one flag's
//! text glued to the start or end of its neighbour's).

use clap::CommandFactory;
use pyward::cli::Cli;

fn walk(cmd: &clap::Command, path: &str, problems: &mut Vec<String>) {
    let args: Vec<(String, String)> = cmd
        .get_arguments()
        .filter(|a| !matches!(a.get_id().as_str(), "help" | "version"))
        .map(|a| {
            let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
            (a.get_id().to_string(), help)
        })
        .collect();
    for (id, help) in &args {
        let h = help.trim();
        if h.is_empty() {
            problems.push(format!("{path} --{id}: no help text"));
            continue;
        }
        if !h.starts_with(|c: char| c.is_uppercase() || c == '`' || c.is_ascii_digit()) {
            problems.push(format!("{path} --{id}: help starts in lower case: {h:?}"));
        }
        for (other, other_help) in &args {
            let o = other_help.trim();
            if other != id && o.len() >= 20 && h != o && h.contains(o) {
                problems.push(format!(
                    "{path} --{id}: its help contains --{other}'s: {h:?}"
                ));
            }
        }
    }
    for sub in cmd.get_subcommands() {
        let name = format!("{path} {}", sub.get_name());
        if sub.get_name() != "help" && sub.get_about().is_none() {
            problems.push(format!("{name}: no about text"));
        }
        walk(sub, &name, problems);
    }
}

#[test]
fn every_flag_has_its_own_help() {
    let mut problems = Vec::new();
    walk(&Cli::command(), "pyward", &mut problems);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
