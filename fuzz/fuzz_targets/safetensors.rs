//! `Trainer::import_weights` on an mlp trainer. After an error the exported weights must be
//! byte-identical to before; after a success the trainer must still predict finite probabilities.
//!
//! The first byte picks the mode: even → the rest is the whole file; odd → the rest is a safetensors
//! *header* (JSON), followed by the real data section of the trainer's own export, so short inputs
//! explore names, shapes, dtypes and offsets against plausible data.
#![no_main]

use inkling::{ModelKind, TrainConfig, Trainer};
use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;

struct State {
    trainer: Trainer,
    weights: Vec<u8>,
    data_section: Vec<u8>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new({
        let trainer = Trainer::new(TrainConfig::for_model(ModelKind::Mlp)).expect("mlp trainer");
        let weights = trainer.export_weights().expect("export");
        let header_len = u64::from_le_bytes(weights[..8].try_into().unwrap()) as usize;
        let data_section = weights[8 + header_len..].to_vec();
        State { trainer, weights, data_section }
    });
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    STATE.with(|s| {
        let s = &mut *s.borrow_mut();
        let file = if mode & 1 == 0 {
            rest.to_vec()
        } else {
            let mut f = (rest.len() as u64).to_le_bytes().to_vec();
            f.extend_from_slice(rest);
            f.extend_from_slice(&s.data_section);
            f
        };
        match s.trainer.import_weights(&file) {
            Err(e) => {
                assert!(!e.to_string().is_empty());
                assert!(s.trainer.export_weights().unwrap() == s.weights, "a failed import changed the weights: {e}");
            }
            Ok(()) => {
                let probs = s.trainer.predict(&[128u8; 784]).expect("predict after import");
                assert!(probs.iter().all(|p| p.is_finite()), "imported weights give non-finite output");
                s.weights = s.trainer.export_weights().unwrap();
            }
        }
    });
});
