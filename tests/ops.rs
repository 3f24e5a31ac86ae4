//! The fused ops of `inkling::ops` against Candle's reference ops, forward and backward, on seeded
//! random inputs (odd sizes, batch 1 and 3, one op call spanning several chunks).
//!
//! Backward passes are compared through `loss = Σ out · r` for a random `r`, whose gradient with
//! respect to `out` is `r`; gradients come from `loss.backward()` for every input that is a `Var`.

use candle_core::{DType, Device, Result, Tensor, Var};
use inkling::ops::{self, Activation, Kernels};
use inkling::rng::Rng;

const TOL: f32 = 1e-4;

fn random(rng: &mut Rng, dims: &[usize]) -> Tensor {
    let n = dims.iter().product();
    Tensor::from_vec(rng.uniform_vec(n, -1.0, 1.0), dims, &Device::Cpu).unwrap()
}

fn var(rng: &mut Rng, dims: &[usize]) -> Var {
    Var::from_tensor(&random(rng, dims)).unwrap()
}

/// Largest absolute difference, relative to the reference's magnitude when that exceeds 1.
fn diff(a: &Tensor, b: &Tensor) -> f32 {
    assert_eq!(a.dims(), b.dims());
    let (a, b) = (a.flatten_all().unwrap().to_vec1::<f32>().unwrap(), b.flatten_all().unwrap().to_vec1::<f32>().unwrap());
    let scale = b.iter().fold(1f32, |m, v| m.max(v.abs()));
    a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max) / scale
}

/// Forward outputs and the gradients of `Σ out · r` for `inputs`, from `f`.
fn run(inputs: &[&Var], r: &Tensor, f: impl Fn() -> Result<Tensor>) -> (Tensor, Vec<Tensor>) {
    let out = f().unwrap();
    let grads = (&out * r).unwrap().sum_all().unwrap().backward().unwrap();
    let g = inputs.iter().map(|v| grads.get(v).expect("gradient").clone()).collect();
    (out, g)
}

fn assert_close(what: &str, ours: &(Tensor, Vec<Tensor>), reference: &(Tensor, Vec<Tensor>)) {
    let d = diff(&ours.0, &reference.0);
    assert!(d <= TOL, "{what}: forward differs by {d}");
    for (i, (a, b)) in ours.1.iter().zip(&reference.1).enumerate() {
        let d = diff(a, b);
        assert!(d <= TOL, "{what}: gradient {i} differs by {d}");
    }
}

/// Candle's convolution + broadcast bias (+ ReLU).
fn reference_conv(x: &Tensor, w: &Tensor, b: &Tensor, act: Activation) -> Result<Tensor> {
    let y = x.conv2d(w, 0, 1, 1, 1)?.broadcast_add(&b.reshape((1, b.dim(0)?, 1, 1))?)?;
    match act {
        Activation::Relu => y.relu(),
        Activation::Identity => Ok(y),
    }
}

#[test]
fn conv2d_matches_candle_forward_and_backward() {
    let mut rng = Rng::new(1);
    // (batch, cin, h, w, cout, kh, kw)
    // With `Kernels::ALL`: the first and last are 3×3 on one input channel (the direct kernel), the two before
    // the last 3×3 with 8+ input channels (Winograd, uneven tiles).
    let cases = [
        (1, 1, 28, 28, 4, 3, 3),
        (3, 5, 13, 11, 7, 3, 3),
        (2, 3, 9, 8, 6, 5, 5),
        (3, 4, 6, 7, 5, 2, 3),
        (2, 3, 4, 4, 2, 1, 1),
        (2, 8, 9, 10, 4, 3, 3),
        (3, 32, 13, 13, 16, 3, 3),
        (2, 1, 7, 10, 8, 3, 3),
    ];
    for (b, cin, h, w, cout, kh, kw) in cases {
        for (act, kernels) in [
            (Activation::Relu, Kernels::IM2COL),
            (Activation::Identity, Kernels::IM2COL),
            (Activation::Relu, Kernels::ALL),
            (Activation::Identity, Kernels::ALL),
        ] {
            let (x, wt, bias) = (var(&mut rng, &[b, cin, h, w]), var(&mut rng, &[cout, cin, kh, kw]), var(&mut rng, &[cout]));
            let r = random(&mut rng, &[b, cout, h - kh + 1, w - kw + 1]);
            let vars = [&x, &wt, &bias];
            let ours = run(&vars, &r, || ops::conv2d_with(&x, &wt, &bias, act, false, kernels));
            let reference = run(&vars, &r, || reference_conv(&x, &wt, &bias, act));
            assert_close(&format!("conv2d {:?} {act:?} {kernels:?}", (b, cin, h, w, cout, kh, kw)), &ours, &reference);
        }
    }
}

#[test]
fn conv2d_skips_the_input_gradient_for_a_constant_input() {
    let mut rng = Rng::new(2);
    let x = random(&mut rng, &[3, 1, 10, 9]); // an image batch: not a variable
    let (wt, bias) = (var(&mut rng, &[4, 1, 3, 3]), var(&mut rng, &[4]));
    let r = random(&mut rng, &[3, 4, 8, 7]);
    let out = ops::conv2d(&x, &wt, &bias, Activation::Relu).unwrap();
    let grads = (&out * &r).unwrap().sum_all().unwrap().backward().unwrap();
    assert!(grads.get(&x).is_none());
    let reference = run(&[&wt, &bias], &r, || reference_conv(&x, &wt, &bias, Activation::Relu));
    assert_close("conv2d without input gradient", &(out, vec![grads.get(&wt).unwrap().clone(), grads.get(&bias).unwrap().clone()]), &reference);
}

#[test]
fn conv2d_spanning_several_chunks_matches_candle() {
    // 72 × 62·62 values of im2col columns per image, and 36 × 16·16 tiles × (8 + 4) transformed values
    // for Winograd: either way each of the 17 images is a chunk of its own.
    let mut rng = Rng::new(3);
    let (x, wt, bias) = (var(&mut rng, &[17, 8, 64, 64]), var(&mut rng, &[4, 8, 3, 3]), var(&mut rng, &[4]));
    let r = random(&mut rng, &[17, 4, 62, 62]);
    let vars = [&x, &wt, &bias];
    let reference = run(&vars, &r, || reference_conv(&x, &wt, &bias, Activation::Relu));
    for kernels in [Kernels::IM2COL, Kernels::ALL] {
        let ours = run(&vars, &r, || ops::conv2d_with(&x, &wt, &bias, Activation::Relu, false, kernels));
        assert_close(&format!("conv2d in chunks, {kernels:?}"), &ours, &reference);
    }
}

#[test]
#[cfg(not(target_arch = "wasm32"))] // rayon is a native-only dependency
fn conv2d_in_parallel_groups_matches_candle_and_does_not_depend_on_the_thread_count() {
    // The cnn's second layer on 19 images: one image per chunk, 7 groups (6 of 3 images, then 1),
    // pooled, with an input gradient: every group's partial dw/db and dx slice is exercised.
    let mut rng = Rng::new(11);
    let (x, wt, bias) = (var(&mut rng, &[19, 32, 13, 13]), var(&mut rng, &[16, 32, 3, 3]), var(&mut rng, &[16]));
    let r = random(&mut rng, &[19, 16, 5, 5]);
    let vars = [&x, &wt, &bias];
    let reference = run(&vars, &r, || reference_pool(&reference_conv(&x, &wt, &bias, Activation::Relu)?));
    for kernels in [Kernels::IM2COL, Kernels::ALL] {
        let step = || run(&vars, &r, || ops::conv2d_with(&x, &wt, &bias, Activation::Relu, true, kernels));
        let on = |threads: usize| rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(step);
        let (one, three) = (on(1), on(3));
        assert_close(&format!("conv2d_pool2x2 in groups, {kernels:?}"), &one, &reference);
        assert_eq!(diff(&one.0, &three.0), 0.0);
        for (a, b) in one.1.iter().zip(&three.1) {
            assert_eq!(diff(a, b), 0.0, "gradients differ between 1 and 3 threads ({kernels:?})");
        }
    }
}

/// A max-pool made of reshapes and `max` reductions, whose backward pass Candle gets right (with
/// random inputs there are no ties).
fn reference_pool(x: &Tensor) -> Result<Tensor> {
    let (b, c, h, w) = x.dims4()?;
    let (oh, ow) = (h / 2, w / 2);
    let x = x.narrow(2, 0, 2 * oh)?.narrow(3, 0, 2 * ow)?.contiguous()?;
    x.reshape((b, c, oh, 2, ow, 2))?.max(5)?.max(3)
}

#[test]
fn max_pool_matches_candle_forward_and_a_reference_backward() {
    let mut rng = Rng::new(4);
    for dims in [[1, 1, 2, 2], [3, 4, 13, 13], [1, 32, 26, 26], [3, 2, 11, 10], [2, 3, 5, 4]] {
        let x = var(&mut rng, &dims);
        let r = random(&mut rng, &[dims[0], dims[1], dims[2] / 2, dims[3] / 2]);
        let ours = run(&[&x], &r, || ops::max_pool2x2(&x));
        // Forward: Candle's own max_pool2d.
        let candle = x.as_tensor().max_pool2d(2).unwrap();
        assert!(diff(&ours.0, &candle) == 0.0, "max_pool2x2 {dims:?}: forward differs from Candle's");
        let reference = run(&[&x], &r, || reference_pool(&x));
        assert_close(&format!("max_pool2x2 {dims:?}"), &ours, &reference);
    }
}

#[test]
fn max_pool_sends_a_tied_gradient_to_the_first_maximum_only() {
    // Window values [[1, 3], [3, 2]]: the top-right 3 wins over the bottom-left one.
    let x = Var::from_tensor(&Tensor::new(&[[[[1f32, 3.], [3., 2.]]]], &Device::Cpu).unwrap()).unwrap();
    let out = ops::max_pool2x2(&x).unwrap();
    assert_eq!(out.flatten_all().unwrap().to_vec1::<f32>().unwrap(), [3.0]);
    let grads = (out * 5.0).unwrap().sum_all().unwrap().backward().unwrap();
    assert_eq!(grads.get(&x).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap(), [0.0, 5.0, 0.0, 0.0]);
}

#[test]
fn conv2d_pool2x2_matches_candle_conv_then_a_reference_pool() {
    let mut rng = Rng::new(8);
    // (batch, cin, h, w, cout): pooled outputs of 26→13, 11→5 (odd: last row and column dropped), 4×5→2×2.
    // With `Kernels::ALL`, (3, 8, …) goes through Winograd and those on one input channel through the direct
    // kernel (forward; 9×12 → 7×10 pools to 3×5, odd row dropped).
    for (b, cin, h, w, cout) in [(1, 1, 28, 28, 4), (3, 6, 13, 13, 5), (2, 2, 6, 7, 3), (3, 8, 13, 13, 8), (2, 1, 9, 12, 8)] {
        for (act, kernels) in [
            (Activation::Relu, Kernels::IM2COL),
            (Activation::Identity, Kernels::IM2COL),
            (Activation::Relu, Kernels::ALL),
            (Activation::Identity, Kernels::ALL),
        ] {
            let (x, wt, bias) = (var(&mut rng, &[b, cin, h, w]), var(&mut rng, &[cout, cin, 3, 3]), var(&mut rng, &[cout]));
            let r = random(&mut rng, &[b, cout, (h - 2) / 2, (w - 2) / 2]);
            let vars = [&x, &wt, &bias];
            let ours = run(&vars, &r, || ops::conv2d_with(&x, &wt, &bias, act, true, kernels));
            let reference = run(&vars, &r, || reference_pool(&reference_conv(&x, &wt, &bias, act)?));
            assert_close(&format!("conv2d_pool2x2 {:?} {act:?} {kernels:?}", (b, cin, h, w, cout)), &ours, &reference);
            // Forward as Candle's own max_pool2d.
            let candle = reference_conv(&x, &wt, &bias, act).unwrap().max_pool2d(2).unwrap();
            assert!(diff(&ours.0, &candle) <= TOL);
        }
    }
    // Without any variable there is nothing to record, and the forward pass is the same.
    let x = random(&mut rng, &[2, 3, 9, 9]);
    let (wt, bias) = (random(&mut rng, &[4, 3, 3, 3]), random(&mut rng, &[4]));
    let out = ops::conv2d_pool2x2(&x, &wt, &bias, Activation::Relu).unwrap();
    let reference = reference_conv(&x, &wt, &bias, Activation::Relu).unwrap().max_pool2d(2).unwrap();
    assert!(diff(&out, &reference) <= TOL);
}

#[test]
fn relu_matches_candle_forward_and_backward() {
    let mut rng = Rng::new(5);
    for dims in [vec![1, 1], vec![3, 7, 5], vec![2, 64, 11, 11]] {
        let x = var(&mut rng, &dims);
        let r = random(&mut rng, &dims);
        let ours = run(&[&x], &r, || ops::relu(&x));
        let reference = run(&[&x], &r, || x.relu());
        assert_close(&format!("relu {dims:?}"), &ours, &reference);
    }
}

#[test]
fn linear_matches_candle_forward_and_backward() {
    let mut rng = Rng::new(6);
    for (b, inp, out) in [(1, 5, 3), (3, 576, 64), (64, 64, 10), (7, 13, 1)] {
        for act in [Activation::Relu, Activation::Identity] {
            let (x, w, bias) = (var(&mut rng, &[b, inp]), var(&mut rng, &[out, inp]), var(&mut rng, &[out]));
            let r = random(&mut rng, &[b, out]);
            let vars = [&x, &w, &bias];
            let ours = run(&vars, &r, || ops::linear(&x, &w, &bias, act));
            let reference = run(&vars, &r, || {
                let y = candle_nn::Module::forward(&candle_nn::Linear::new(w.as_tensor().clone(), Some(bias.as_tensor().clone())), &x)?;
                if act == Activation::Relu {
                    y.relu()
                } else {
                    Ok(y)
                }
            });
            assert_close(&format!("linear {:?} {act:?}", (b, inp, out)), &ours, &reference);
        }
    }
}

#[test]
fn ops_are_deterministic_and_reject_bad_input() {
    let mut rng = Rng::new(7);
    let (x, w, b) = (var(&mut rng, &[4, 3, 12, 12]), var(&mut rng, &[8, 3, 3, 3]), var(&mut rng, &[8]));
    let r = random(&mut rng, &[4, 8, 5, 5]);
    let unfused = || run(&[&x, &w, &b], &r, || ops::max_pool2x2(&ops::conv2d(&x, &w, &b, Activation::Relu)?));
    let fused = || run(&[&x, &w, &b], &r, || ops::conv2d_pool2x2(&x, &w, &b, Activation::Relu));
    for step in [&unfused as &dyn Fn() -> (Tensor, Vec<Tensor>), &fused] {
        let (first, second) = (step(), step());
        assert_eq!(diff(&first.0, &second.0), 0.0);
        for (a, b) in first.1.iter().zip(&second.1) {
            assert_eq!(diff(a, b), 0.0);
        }
    }
    let f64_input = Tensor::zeros((1, 3, 12, 12), DType::F64, &Device::Cpu).unwrap();
    assert!(ops::conv2d(&f64_input, &w, &b, Activation::Relu).is_err());
    assert!(ops::conv2d(&x, &w.as_tensor().narrow(1, 0, 2).unwrap(), &b, Activation::Relu).is_err());
    assert!(ops::max_pool2x2(&Tensor::zeros((2, 3), DType::F32, &Device::Cpu).unwrap()).is_err());
    assert!(ops::linear(&Tensor::zeros((2, 3), DType::F32, &Device::Cpu).unwrap(), &w, &b, Activation::Relu).is_err());
}
