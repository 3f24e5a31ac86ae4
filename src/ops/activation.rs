//! [`relu`]: `max(0, x)` elementwise, with a compare instead of `f32::max` (which compiles to a slow
//! `fmaxf` call in wasm32). The derivative is taken as `x > 0` (0 at 0), as Candle's.

use super::{check_f32_cpu, cpu_f32, f32_data, relu1};
use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};

/// ReLU as a Candle op, any shape.
#[derive(Debug, Clone, Copy)]
pub struct Relu;

/// `max(0, x)` elementwise, differentiable.
pub fn relu(x: &Tensor) -> Result<Tensor> {
    check_f32_cpu("relu", x)?;
    x.contiguous()?.apply_op1(Relu)
}

impl CustomOp1 for Relu {
    fn name(&self) -> &'static str {
        "inkling-relu"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = cpu_f32("relu", storage, layout)?;
        Ok((CpuStorage::F32(x.iter().map(|&v| relu1(v)).collect()), layout.shape().clone()))
    }

    fn bwd(&self, arg: &Tensor, res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let (res_t, grad_t) = (res.contiguous()?, grad.contiguous()?);
        let guards = [res_t.storage_and_layout(), grad_t.storage_and_layout()];
        let (out, g) = (f32_data("relu", &guards[0])?, f32_data("relu", &guards[1])?);
        let dx: Vec<f32> = out.iter().zip(g).map(|(&o, &g)| if o > 0.0 { g } else { 0.0 }).collect();
        drop(guards);
        Ok(Some(Tensor::from_vec(dx, arg.shape(), arg.device())?))
    }
}
