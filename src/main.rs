fn main() {
    let catalog = pyward::rules::Catalog::embedded().expect("rules");
    for r in catalog.rules() {
        println!("{} {}", r.id, r.title);
    }
}
