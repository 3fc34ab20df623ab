//! CRM caller lookup: who is behind this phone number?
//!
//! A CRM receives a ringing call's number and wants the employee (and extension) behind it. The
//! key needs only `/api/v3/employees: read` and `/api/v3/extensions: read`; telling the client so
//! makes it refuse anything else locally.
//!
//! ```text
//! MIKOPBX_URL=https://pbx.example.com MIKOPBX_API_KEY=… \
//!   [MIKOPBX_CERT_SHA256=AB:CD:… | MIKOPBX_CA_CERT=ca.pem] \
//!   cargo run -p mikopbx --example crm_caller_lookup -- 79165550111
//! ```
//! Try it without a PBX: `mikopbx sim --state-dir /tmp/sim` in another terminal, then
//! `MIKOPBX_URL=https://127.0.0.1:8443 MIKOPBX_API_KEY=$(cat /tmp/sim/admin-key.txt)
//! MIKOPBX_CA_CERT=/tmp/sim/ca.pem`.

use mikopbx::{ClientBuilder, EmployeeQuery, ExtensionQuery, Permissions, operations};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let number = std::env::args()
        .nth(1)
        .ok_or("usage: crm_caller_lookup <phone number>")?;

    // The least privilege this integration needs, derived from the operations it calls.
    let needed =
        Permissions::minimal_for(&[&operations::EMPLOYEES_LIST, &operations::EXTENSIONS_LIST]);
    eprintln!("this integration needs: {needed}");

    let client = ClientBuilder::from_env()?
        .user_agent_suffix("crm-caller-lookup/1.0")
        .build()?;

    let employees = client
        .employees()
        .list(EmployeeQuery {
            search: Some(number.clone()),
            max_items: Some(5),
            ..Default::default()
        })
        .collect_all()
        .await?;
    if let Some(e) = employees
        .iter()
        .find(|e| e.mobile_number.as_deref() == Some(number.as_str()) || e.number == number)
        .or(employees.first())
    {
        println!("{number}: {} (extension {})", e.user_username, e.number);
        return Ok(());
    }
    // Not an employee: maybe a queue, an IVR or another directory entry.
    let entries = client
        .extensions()
        .list(ExtensionQuery {
            search: Some(number.clone()),
            max_items: Some(5),
            ..Default::default()
        })
        .collect_all()
        .await?;
    match entries.first() {
        Some(x) => println!("{number}: {} ({})", x.callerid, x.type_),
        None => println!("{number}: unknown caller"),
    }
    Ok(())
}
