// quick wasm sgemm microkernel experiment
function uleb(n: number): number[] { const o: number[] = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; o.push(b); } while (n); return o; }
function sleb(n: number): number[] { const o: number[] = []; for (;;) { const b = n & 0x7f; n >>= 7; if ((n === 0 && !(b & 0x40)) || (n === -1 && (b & 0x40))) { o.push(b); return o; } o.push(b | 0x80); } }
function str(s: string) { const b = [...new TextEncoder().encode(s)]; return [...uleb(b.length), ...b]; }
function section(id: number, body: number[]) { return [id, ...uleb(body.length), ...body]; }
function vec(items: number[][]) { return [...uleb(items.length), ...items.flat()]; }
export function build(MR: number, NRV: number, U: number, relaxed: boolean): Uint8Array {
  const NR = NRV * 4;
  // params: 0 ap0,1 bp0,2 cp0,3 mTiles,4 nTiles,5 kc,6 ldcBytes,7 acc
  // i32 locals: 8 jt, 9 it, 10 ap, 11 bp, 12 k, 13 cp, 14 bpanel
  const I = { ap0: 0, bp0: 1, cp0: 2, mT: 3, nT: 4, kc: 5, ldc: 6, accf: 7, jt: 8, it: 9, ap: 10, bp: 11, k: 12, cp: 13, bpan: 14 };
  const nI = 7;
  const vBase = 15; // v128 locals: acc MR*NRV, b NRV, a 1
  const acc = (r: number, v: number) => vBase + r * NRV + v;
  const bl = (v: number) => vBase + MR * NRV + v;
  const al = vBase + MR * NRV + NRV;
  const nV = MR * NRV + NRV + 1;
  const c: number[] = [];
  const get = (i: number) => c.push(0x20, ...uleb(i));
  const set = (i: number) => c.push(0x21, ...uleb(i));
  const i32c = (n: number) => c.push(0x41, ...sleb(n));
  const add = () => c.push(0x6a), mul = () => c.push(0x6c), sub = () => c.push(0x6b);
  const simd = (op: number) => c.push(0xfd, ...uleb(op));
  const mem = (align: number, off: number) => c.push(...uleb(align), ...uleb(off));
  // jt = 0
  i32c(0); set(I.jt);
  c.push(0x03, 0x40); // loop Lj
  //  bpan = bp0 + jt*kc*NR*4
  get(I.bp0); get(I.jt); get(I.kc); mul(); i32c(NR * 4); mul(); add(); set(I.bpan);
  i32c(0); set(I.it);
  c.push(0x03, 0x40); // loop Li
  get(I.ap0); get(I.it); get(I.kc); mul(); i32c(MR * 4); mul(); add(); set(I.ap);
  get(I.bpan); set(I.bp);
  get(I.kc); set(I.k);
  for (let r = 0; r < MR; r++) for (let v = 0; v < NRV; v++) { simd(12); c.push(...new Array(16).fill(0)); set(acc(r, v)); }
  c.push(0x03, 0x40); // loop Lk
  for (let u = 0; u < U; u++) {
    for (let v = 0; v < NRV; v++) { get(I.bp); simd(0); mem(4, (u * NR + v * 4) * 4); set(bl(v)); }
    for (let r = 0; r < MR; r++) {
      get(I.ap); simd(9); mem(2, (u * MR + r) * 4); set(al);
      for (let v = 0; v < NRV; v++) {
        if (relaxed) { get(al); get(bl(v)); get(acc(r, v)); simd(0x105); set(acc(r, v)); }
        else { get(acc(r, v)); get(al); get(bl(v)); simd(230); simd(228); set(acc(r, v)); }
      }
    }
  }
  get(I.ap); i32c(MR * 4 * U); add(); set(I.ap);
  get(I.bp); i32c(NR * 4 * U); add(); set(I.bp);
  get(I.k); i32c(U); sub(); c.push(0x22, ...uleb(I.k)); // tee
  c.push(0x0d, 0); // br_if Lk
  c.push(0x0b); // end Lk
  // cp = cp0 + it*MR*ldc + jt*NR*4
  get(I.cp0); get(I.it); i32c(MR); mul(); get(I.ldc); mul(); add(); get(I.jt); i32c(NR * 4); mul(); add(); set(I.cp);
  for (let r = 0; r < MR; r++) {
    for (let v = 0; v < NRV; v++) {
      get(I.cp); // addr for store
      get(I.accf); c.push(0x04, 0x7b); // if (result v128)
      get(I.cp); simd(0); mem(4, v * 16); get(acc(r, v)); simd(228);
      c.push(0x05); get(acc(r, v));
      c.push(0x0b);
      simd(11); mem(4, v * 16);
    }
    if (r < MR - 1) { get(I.cp); get(I.ldc); add(); set(I.cp); }
  }
  get(I.it); i32c(1); add(); c.push(0x22, ...uleb(I.it)); get(I.mT); c.push(0x49); c.push(0x0d, 0); c.push(0x0b);
  get(I.jt); i32c(1); add(); c.push(0x22, ...uleb(I.jt)); get(I.nT); c.push(0x49); c.push(0x0d, 0); c.push(0x0b);
  c.push(0x0b);
  const body = [...vec([[...uleb(nI), 0x7f], [...uleb(nV), 0x7b]]), ...c];
  const type = section(1, vec([[0x60, ...uleb(8), ...new Array(8).fill(0x7f), 0]]));
  const imp = section(2, vec([[...str('env'), ...str('mem'), 0x02, 0x00, 1]]));
  const fn = section(3, vec([[0]]));
  const exp = section(7, vec([[...str('gemm'), 0x00, 0]]));
  const code = section(10, vec([[...uleb(body.length), ...body]]));
  return new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...type, ...imp, ...fn, ...exp, ...code]);
}
