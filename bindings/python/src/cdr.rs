//! Arguments of `cdr.list` → the core's `CdrQuery`.

use mikopbx::{CdrQuery, Error};

use crate::dispatch::Args;

pub fn query(a: &Args<'_>) -> Result<CdrQuery, Error> {
    a.only(&[
        "date_from",
        "date_to",
        "src_num",
        "dst_num",
        "did",
        "disposition",
        "linkedid",
        "search",
        "page_size",
        "resume_after",
    ])?;
    let resume_after = match a.opt_str("resume_after")? {
        None => None,
        Some(text) => Some(text.trim().parse::<i64>().map_err(|_| Error::Config {
            detail: format!(
                "cdr.list: resume_after must be a record id (a checkpoint), not {text:?}"
            ),
        })?),
    };
    Ok(CdrQuery {
        date_from: a.opt_str("date_from")?,
        date_to: a.opt_str("date_to")?,
        src_num: a.opt_str("src_num")?,
        dst_num: a.opt_str("dst_num")?,
        did: a.opt_str("did")?,
        disposition: a.opt_str("disposition")?,
        linkedid: a.opt_str("linkedid")?,
        search: a.opt_str("search")?,
        page_size: a.opt_u32("page_size")?,
        resume_after,
        ..Default::default()
    })
}
