//! Session store hot paths (work in progress).

fn main() {}
