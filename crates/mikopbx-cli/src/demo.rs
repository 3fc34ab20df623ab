//! `mikopbx demo`: the README's "run it" command.
//!
//! Starts the simulator in-process, creates a least-privilege key for a CRM integration, and
//! through the SDK: looks up the person behind a phone number, lists today's calls, and shows a
//! write refused locally (naming the permission to grant) and the same write, without local
//! knowledge, refused by the server and diagnosed.

use std::process::ExitCode;

use mikopbx::{
    ApiKey, CdrQuery, Client, EmployeeQuery, ExtensionQuery, NetworkFilter, NewApiKey, NewEmployee,
    Permissions, operations,
};
use mikopbx_sim::Simulator;

fn step(n: u32, title: &str) {
    println!("\n{n}. {title}");
}

pub async fn run() -> ExitCode {
    match demo().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nThe demo stopped: {e}");
            ExitCode::FAILURE
        }
    }
}

fn client_for(
    sim_url: &str,
    ca_pem: &str,
    key: ApiKey,
) -> Result<mikopbx::ClientBuilder, mikopbx::Error> {
    Client::builder(sim_url)
        .api_key(key)
        .trust_certificate_pem(ca_pem.as_bytes())
}

async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    println!("MikoPBX SDK demo: a simulated PBX runs inside this process, over real TLS.");
    let sim = Simulator::builder().start().await?;
    let url = sim.url().to_string();
    let ca = sim.ca_pem().to_string();
    println!("   PBX simulator at {url} (its CA is trusted explicitly; verification is never off)");

    let admin = client_for(&url, &ca, ApiKey::new(sim.admin_key()))?.build()?;

    step(
        1,
        "A CRM integration needs only reads. The SDK computes the least privilege:",
    );
    let crm_ops = [
        &operations::EXTENSIONS_LIST,
        &operations::EMPLOYEES_LIST,
        &operations::CDR_LIST,
    ];
    let needed = Permissions::minimal_for(&crm_ops);
    for (path, access) in needed.to_allowed_paths() {
        println!("   {path}: {access}");
    }
    let key = admin.api_keys().generate_key().await?;
    let info = admin
        .api_keys()
        .create(NewApiKey::new(
            "CRM integration (demo)",
            key.clone(),
            Some(&needed),
            NetworkFilter::Any,
        ))
        .await?;
    println!(
        "   Created API key #{} {} with exactly these permissions (the key itself never appears in logs: {key:?}).",
        info.id, info.key_display
    );

    let crm = client_for(&url, &ca, key.clone())?
        .permissions(info.permissions())
        .build()?;

    step(
        2,
        "Who is calling? Look up the person behind a phone number:",
    );
    // Pick a mobile number the PBX knows, as a CRM would receive it from a ringing call.
    let mut someone = None;
    let pager = admin.employees().list(EmployeeQuery::default());
    'outer: while let Some(page) = pager.next_page().await? {
        for e in page {
            if let Some(m) = e.mobile_number.clone().filter(|m| !m.is_empty()) {
                someone = Some(m);
                break 'outer;
            }
        }
    }
    let phone = someone.unwrap_or_else(|| "201".into());
    let found = crm
        .employees()
        .list(EmployeeQuery {
            search: Some(phone.clone()),
            max_items: Some(1),
            ..Default::default()
        })
        .collect_all()
        .await?;
    match found.first() {
        Some(e) => println!(
            "   {phone} belongs to {} (extension {})",
            e.user_username, e.number
        ),
        None => println!("   {phone} is not in the PBX's directory"),
    }
    let ext = crm
        .extensions()
        .list(ExtensionQuery {
            search: Some(phone.clone()),
            max_items: Some(3),
            ..Default::default()
        })
        .collect_all()
        .await?;
    for e in ext {
        println!(
            "   directory entry: {} {} ({})",
            e.number, e.callerid, e.type_
        );
    }

    step(3, "Today's calls (streamed page by page):");
    let calls = crm.cdr().list(CdrQuery {
        page_size: Some(50),
        ..CdrQuery::today()
    });
    let mut shown = 0;
    let mut count = 0u64;
    while let Some(page) = calls.next_page().await? {
        for c in page {
            count += 1;
            if shown < 5 {
                shown += 1;
                println!(
                    "   {}  {} → {}  {} ({} s)",
                    c.start, c.src_num, c.dst_num, c.disposition, c.billsec
                );
            }
        }
    }
    println!("   … {count} calls today in all.");

    step(
        4,
        "The CRM tries to add an employee. The SDK knows the key is read-only:",
    );
    let new_employee = NewEmployee {
        number: "2999".into(),
        user_username: "Demo Person".into(),
        sip_secret: "Xk9mPq2vLr7t".into(),
        ..Default::default()
    };
    match crm.employees().create(new_employee.clone()).await {
        Err(e) => println!("   Refused: {e}"),
        Ok(_) => println!("   Unexpectedly allowed!"),
    }

    step(
        5,
        "The same write from a client told nothing about the key. The PBX answers only \"401\", as it would\n   for a bad key or a refused address. The SDK probes a read of the same resource with the same key,\n   sees it pass, and so rules those out:",
    );
    let blind = client_for(&url, &ca, key)?.build()?;
    match blind.employees().create(new_employee).await {
        Err(e) => println!("   Refused ({}): {e}", e.kind()),
        Ok(_) => println!("   Unexpectedly allowed!"),
    }

    println!(
        "\nThat's the SDK: verified TLS, secret keys, least privilege with errors that say what to grant."
    );
    sim.shutdown().await;
    Ok(())
}
