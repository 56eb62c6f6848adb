// (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd)
const bytes = new Uint8Array([0,97,115,109,1,0,0,0,
 1,8,1,0x60,3,0x7b,0x7b,0x7b,1,0x7b,
 3,2,1,0,
 10,13,1,11,0,0x20,0,0x20,1,0x20,2,0xfd,0x85,0x02,0x0b]);
console.log('relaxed madd valid', WebAssembly.validate(bytes));
const simd = new Uint8Array([0,97,115,109,1,0,0,0, 1,8,1,0x60,3,0x7b,0x7b,0x7b,1,0x7b, 3,2,1,0, 10,11,1,9,0,0x20,0,0x20,1,0xfd,0xe4,0x01,0x0b]);
console.log('simd f32x4.mul valid', WebAssembly.validate(simd));
