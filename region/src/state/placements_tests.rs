//! Round trips of the compact placement encoding: what decodes is exactly what was encoded.
use super::*;
use crate::scheduler::testing::{MemState, mock_job, mock_node, register_eval};
use crate::scheduler::{SchedulerContext, generic::compute};
use crate::state::PlanResults;
use crate::structs::Job;

fn round_trip(allocs: &[Allocation]) -> (Vec<Allocation>, usize) {
    let r = PlanResults {
        allocs_to_upsert: allocs.to_vec(),
        ..Default::default()
    };
    let bytes = rmp_serde::to_vec_named(&r).expect("encodes");
    let back: PlanResults = rmp_serde::from_slice(&bytes).expect("decodes");
    let json = serde_json::to_string(&r).expect("json encodes");
    let from_json: PlanResults = serde_json::from_str(&json).expect("json decodes");
    assert_eq!(from_json.allocs_to_upsert, allocs, "JSON round trip");
    (back.allocs_to_upsert, bytes.len())
}

/// A real scheduler's placements: `count` allocations of one group over `nodes` nodes.
fn placements(nodes: usize, count: i32) -> Vec<Allocation> {
    let mut st = MemState::default();
    for i in 0..nodes {
        st.upsert_node(mock_node(&format!("00000000-0000-4000-8000-{i:012}")));
    }
    let job = st.upsert_job(mock_job("web", count));
    let eval = register_eval("eval-1", &job);
    let computed = compute(&st, &eval, Some(&job), &mut SchedulerContext::new(7, 42));
    computed
        .plan
        .node_allocation
        .into_values()
        .flatten()
        .collect()
}

#[test]
fn scheduler_placements_round_trip_and_shrink() {
    let allocs = placements(200, 100);
    assert_eq!(allocs.len(), 100);
    assert!(allocs.iter().all(|a| a.metrics.is_some()));
    let (back, compact) = round_trip(&allocs);
    assert_eq!(back, allocs);
    let plain = rmp_serde::to_vec_named(&allocs).unwrap().len();
    eprintln!("100 placements: {plain} bytes plain, {compact} bytes compact");
    assert!(
        compact * 4 < plain,
        "compact {compact} bytes is not a quarter of plain {plain}"
    );
}

#[test]
fn every_differing_field_survives() {
    let base = placements(20, 4);
    let mut odd = base.clone();
    // Names that are not `<job>.<group>[i]`, IDs that are not UUIDs, no metrics, other
    // resources, a changed shape, unknown scorers and filter maps.
    odd[0].name = "custom-name".into();
    odd[0].id = "not-a-uuid".into();
    odd[0].node_id = "00000000-0000-4000-8000-ABCDEF000000".into();
    odd[1].metrics = None;
    odd[1].allocated_resources = None;
    odd[2].client_status = "lost".into();
    odd[2].previous_allocation = "prev".into();
    let m = Arc::make_mut(odd[3].metrics.as_mut().unwrap());
    m.constraint_filtered = SmallMap::from([("missing drivers".to_string(), 3)]);
    m.nodes_filtered = 3;
    if let Some(s) = m.score_meta_data.first_mut() {
        s.scores.insert("some-new-scorer".to_string(), 0.25);
    }
    if let Some(s) = m.score_meta_data.get_mut(1) {
        s.norm_score = 0.125; // not the mean of its scores
    }
    let (back, _) = round_trip(&odd);
    assert_eq!(back, odd);
    let (empty, _) = round_trip(&[]);
    assert!(empty.is_empty());
}

#[test]
fn plain_sequence_from_older_entries_still_decodes() {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "snake_case")]
    struct Old<'a> {
        eval_id: &'a str,
        job: Option<Job>,
        allocs_to_upsert: &'a [Allocation],
        allocs_to_stop: Vec<()>,
        deployment: Option<()>,
        deployment_updates: Vec<()>,
        evals: Vec<()>,
        now: i64,
    }
    let allocs = placements(10, 3);
    let old = Old {
        eval_id: "e",
        job: None,
        allocs_to_upsert: &allocs,
        allocs_to_stop: vec![],
        deployment: None,
        deployment_updates: vec![],
        evals: vec![],
        now: 9,
    };
    let bytes = rmp_serde::to_vec_named(&old).unwrap();
    let back: PlanResults = rmp_serde::from_slice(&bytes).expect("old entry decodes");
    assert_eq!(back.allocs_to_upsert, allocs);
    assert_eq!(back.now, 9);
}

#[test]
fn bad_template_reference_is_an_error_not_a_panic() {
    let allocs = placements(10, 2);
    let mut c = encode(&allocs);
    c.allocs[1].0 = 7;
    let bytes = rmp_serde::to_vec_named(&c).unwrap();
    let mut de = rmp_serde::Deserializer::new(&bytes[..]);
    let err = deserialize(&mut de).unwrap_err().to_string();
    assert!(err.contains("missing template 7"), "{err}");
}

#[test]
fn uuid_ids_are_bytes_and_other_ids_strings() {
    let u = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    assert_eq!(uuid_string(&uuid_bytes(u).unwrap()).unwrap(), u);
    assert!(uuid_bytes("0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D").is_none());
    assert!(uuid_bytes("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4").is_none());
    assert!(uuid_bytes("0a1b2c3d04e5f-4a6b-8c7d-9e0f1a2b3c4d").is_none());
}
