//! The client session's generated documentation names every step, act and state of its tables (`cargo xtask
//! codegen` writes it into the module docs and `docs/ARCHITECTURE.md`; `cargo xtask lint` fails when it is stale).

use ftpkit_proto::session::client::generated_docs;

#[test]
fn the_generated_tables_name_every_step_and_act() {
    let [verdicts, transitions, diagram] = generated_docs();
    for step in ["greeting", "USER", "EPSV ALL", "REST (transfer)", "ABOR (reply owed)", "transfer"] {
        assert!(verdicts.contains(&format!("| {step} |")), "verdicts lack {step}");
    }
    for act in ["FallbackPasv", "AcceptThenTransfer", "DropCancelled", "RequestFailed", "ConnectedSendXfer"] {
        assert!(transitions.contains(act), "transitions lack {act}");
    }
    for state in ["greeting", "idle", "sent", "await_connect", "await_data", "closed"] {
        assert!(diagram.contains(state), "diagram lacks {state}");
    }
}
