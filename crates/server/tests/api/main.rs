//! The server's black-box tests, one binary with a module per feature: the
//! HTTP API and the pages on both backends (`http_test!`), the websockets, the
//! scheduler and mail loops, and the `youying` binary itself (`cli`, which runs
//! the built executable). One binary links once per change instead of once per
//! file. The tests share this process and run on parallel threads: each brings
//! its own database, its own port (0) and its own fake clock, and none sets an
//! environment variable; the only process-wide state is the metrics recorder,
//! which is installed once and only ever added to.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod admin_pages;
mod backup;
mod bot;
mod bot_pages;
mod buyer_pages;
mod case_pages;
mod cases;
mod chat;
mod chat_images;
mod chat_pages;
mod cli;
mod demo;
mod docking;
mod enforcement;
mod enforcement_pages;
mod evidence;
mod fakepay;
mod faults;
mod gateways;
mod grades;
mod guest;
mod hardening;
mod layout_pages;
mod level_pages;
mod levels;
mod mail;
mod market;
mod market_pages;
mod merchant_tools;
mod open_api;
mod order_pages;
mod outage;
mod pages;
mod pay;
mod pay_checkout;
mod promise;
mod publication;
mod push;
mod push_pages;
mod quiz;
mod quiz_pages;
mod review_pages;
mod reviews;
mod rules;
mod scheduler;
mod shops;
mod stock;
mod supplier;
mod supplier_pages;
mod upstream_pages;
mod upstreams;
mod withdrawal_pages;
mod withdrawals;
