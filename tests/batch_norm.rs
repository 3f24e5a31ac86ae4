//! The fused batch-norm op against Candle's `BatchNorm` (training and inference), forward and backward.

#![cfg(not(target_arch = "wasm32"))]

use candle_core::{DType, Device, ModuleT, Tensor, Var};
use candle_nn::{VarBuilder, VarMap};
use inkling::ops::FusedBatchNorm;

fn random(shape: &[usize], seed: u64) -> Tensor {
    let n = shape.iter().product();
    let v = inkling::rng::Rng::new(seed).uniform_vec(n, -2.0, 3.0);
    Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
}

fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
    (a - b).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap()
}

#[test]
fn fused_batch_norm_matches_candle_forward_backward_and_running_stats() {
    for shape in [vec![3usize, 4, 5, 7], vec![6, 5], vec![1, 2, 3, 3]] {
        let c = shape[1];
        let (ours_map, ref_map) = (VarMap::new(), VarMap::new());
        let ours = FusedBatchNorm::new(c, VarBuilder::from_varmap(&ours_map, DType::F32, &Device::Cpu)).unwrap();
        let cfg = candle_nn::BatchNormConfig { eps: 1e-5, remove_mean: true, affine: true, momentum: 0.1 };
        let reference = candle_nn::batch_norm(c, cfg, VarBuilder::from_varmap(&ref_map, DType::F32, &Device::Cpu)).unwrap();
        // Same non-trivial affine parameters in both.
        for map in [&ours_map, &ref_map] {
            let vars = map.data().lock().unwrap();
            vars["weight"].set(&random(&[c], 1)).unwrap();
            vars["bias"].set(&random(&[c], 2)).unwrap();
        }
        let x = Var::from_tensor(&random(&shape, 3)).unwrap();
        let w = random(&shape, 4);
        let (y1, y2) = (ours.forward_t(x.as_tensor(), true).unwrap(), reference.forward_t(x.as_tensor(), true).unwrap());
        assert!(max_diff(&y1, &y2) < 1e-4, "{shape:?} forward");
        let g1 = (&y1 * &w).unwrap().sum_all().unwrap().backward().unwrap();
        let g2 = (&y2 * &w).unwrap().sum_all().unwrap().backward().unwrap();
        assert!(max_diff(g1.get(&x).unwrap(), g2.get(&x).unwrap()) < 1e-4, "{shape:?} dx");
        for name in ["weight", "bias"] {
            let (a, b) = (ours_map.data().lock().unwrap()[name].clone(), ref_map.data().lock().unwrap()[name].clone());
            assert!(max_diff(g1.get(&a).unwrap(), g2.get(&b).unwrap()) < 1e-3, "{shape:?} d{name}");
        }
        for name in ["running_mean", "running_var"] {
            let (a, b) = (ours_map.data().lock().unwrap()[name].clone(), ref_map.data().lock().unwrap()[name].clone());
            if shape[0] * shape[2..].iter().product::<usize>() > 1 {
                assert!(max_diff(a.as_tensor(), b.as_tensor()) < 1e-4, "{shape:?} {name}");
            }
        }
        let (e1, e2) = (ours.forward_t(x.as_tensor(), false).unwrap(), reference.forward_t(x.as_tensor(), false).unwrap());
        assert!(max_diff(&e1, &e2) < 1e-4, "{shape:?} eval");
    }
}
