//! What every page shares, on both backends: one 售后 entry in each role's
//! navigation, leading where that role handles cases (issue 16).

use youying_testkit::http_test;
use youying_testkit::web::Web;

/// The `data-nav` keys of the page's navigation, in order.
fn nav_keys(page: &str) -> Vec<&str> {
    let nav = &page[page.find("<nav id=\"nav\"").unwrap()..];
    let nav = &nav[..nav.find("</nav>").unwrap()];
    nav.split("data-nav=\"").skip(1).map(|s| &s[..s.find('"').unwrap()]).collect()
}

fn count_after_sales(page: &str) -> usize {
    let nav = &page[page.find("<nav id=\"nav\"").unwrap()..];
    nav[..nav.find("</nav>").unwrap()].matches(">售后<").count()
}

http_test!(each_role_has_one_after_sales_entry_leading_where_it_handles_cases, |app| {
    let buyer = app.buyer("nav_buyer").await;
    let mut b = Web::new(&app, &buyer);
    let (_, home) = b.get("/").await;
    assert_eq!(count_after_sales(&home), 1, "{:?}", nav_keys(&home));
    assert!(nav_keys(&home).contains(&"cases"), "a buyer's 售后 is its own cases");
    let (_, list) = b.get("/cases").await;
    assert!(!list.contains("id=\"cases-switch\""), "no shop, nothing to switch to");

    // A shop owner handles its shop's cases: one 售后, to /merchant/cases …
    let (owner, _) = app.merchant("nav_owner", "导航店").await;
    let mut m = Web::new(&app, &owner);
    let (_, home) = m.get("/").await;
    let keys = nav_keys(&home);
    assert_eq!(count_after_sales(&home), 1, "{keys:?}");
    assert!(keys.contains(&"merchant-cases") && !keys.contains(&"cases"), "{keys:?}");
    // … and its own purchases' cases stay one tap away, both ways.
    let (_, list) = m.get("/merchant/cases").await;
    assert!(list.contains("id=\"cases-switch\"") && list.contains("href=\"/cases\""), "{list}");
    let (_, mine) = m.get("/cases").await;
    assert!(mine.contains("id=\"cases-switch\"") && mine.contains("href=\"/merchant/cases\""), "{mine}");
});
