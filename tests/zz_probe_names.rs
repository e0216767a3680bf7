// temporary probe (not committed)
#[test]
fn probe() {
    let out = std::process::Command::new("find").args([".", "-name", "*.py", "-not", "-path", "./target*"]).output().unwrap();
    let files = String::from_utf8(out.stdout).unwrap();
    let extra = std::env::var("PROBE_DIR").ok();
    let mut list: Vec<String> = files.lines().map(|s| s.to_string()).collect();
    if let Some(d) = extra {
        let out = std::process::Command::new("find").args([&d, "-name", "*.py"]).output().unwrap();
        list.extend(String::from_utf8(out.stdout).unwrap().lines().map(|s| s.to_string()));
    }
    let (mut judged, mut not) = (0, 0);
    for f in list {
        let Ok(t) = std::fs::read_to_string(&f) else { continue };
        match pyward::pipeline::names::undefined_names(&t) {
            Some(v) => { judged += 1; for u in v { println!("U\t{f}\t{}\t{}", u.name, u.line); } }
            None => { not += 1; println!("N\t{f}"); }
        }
    }
    println!("judged {judged}, not {not}");
}
