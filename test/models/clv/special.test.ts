import { describe, expect, it } from 'vitest';
import { digamma, hyp2f1, lbeta, lgamma, logAddExp, trigamma } from '../../../src/models/clv/numeric/special.ts';

// Reference values: mpmath 1.3.0 at 30 significant digits (log(abs(gamma(x))), digamma(x), hyp2f1(a, b, c, z)).
const gammaRef: [number, number, number][] = [
  [0.001, 6.9071788853838537, -1000.5755719318103],
  [0.243, 1.3180435846996699, -4.3510938644232107],
  [0.5, 0.57236494292470009, -1.9635100260214235],
  [1, 0, -0.57721566490153286],
  [1.5, -0.12078223763524522, 0.036489973978576521],
  [2.425752, 0.23384291296157515, 0.66608180614879038],
  [7.3, 7.1478925230222487, 1.9178203356379861],
  [14.999, 25.188546870546928, 2.6742777210575356],
  [15.001, 25.193895563868663, 2.6744155975134491],
  [123.456, 469.60554712992948, 4.8118293238289854],
  [1e5, 1051287.7089736569, 11.512920464961895],
  [-0.5, 1.2655121234846454, 0.036489973978576521],
  [-2.3, 0.36956666345500804, 3.3173231575618227],
];

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe('lgamma and digamma', () => {
  it.each(gammaRef)('x = %d', (x, lg, dg) => {
    expect(Math.abs(lgamma(x) - lg)).toBeLessThan(1e-13 * Math.max(1, Math.abs(lg)));
    expect(Math.abs(digamma(x) - dg)).toBeLessThan(1e-13 * Math.max(1, Math.abs(dg)));
  });
  it('has poles at non-positive integers', () => {
    expect(lgamma(0)).toBe(Infinity);
    expect(lgamma(-3)).toBe(Infinity);
    expect(digamma(-2)).toBeNaN();
  });
  it('lbeta(a, b) = ln(Γ(a)Γ(b)/Γ(a+b))', () => {
    expect(lbeta(2, 3)).toBeCloseTo(Math.log(1 / 12), 14);
  });
});

describe('trigamma', () => {
  // mpmath psi(1, x) at 30 digits
  it.each([
    [0.3, 12.2453645461077313011666359605],
    [1, 1.64493406684822643647241516665],
    [2.5, 0.490357756100234864972801055494],
    [11.99, 0.0869774104869875697438600378976],
    [12, 0.0869018728717683907503001804618],
    [13.7, 0.0757214158226238959653097178971],
    [250.25, 0.00400399865466863332572065515271],
    [1e5, 0.0000100000500001666666666633333333],
  ])('x = %d', (x, v) => {
    expect(rel(trigamma(x), v)).toBeLessThan(1e-13);
  });
  it('is the derivative of digamma', () => {
    const h = 1e-5;
    expect(rel(trigamma(3.7), (digamma(3.7 + h) - digamma(3.7 - h)) / (2 * h))).toBeLessThan(1e-8);
  });
  it('is NaN at and below 0', () => {
    expect(trigamma(0)).toBeNaN();
    expect(trigamma(-1.5)).toBeNaN();
  });
});

describe('hyp2f1', () => {
  const cases: [number, number, number, number, number][] = [
    [0.243, 2.426, 2.219, 0.5, 1.2070970070440423],
    [0.243, 2.426, 2.219, 0.947, 2.3984707417430456],
    [0.243, 2.426, 2.219, 0.9999, 29.996187028101585], // connection formula near z = 1
    [1.976, -0.207, 2.219, 0.95, 0.63536911250151641], // negative parameter (Euler-transformed BG/NBD form)
    [1.976, -0.207, 202.2, 0.99, 0.99798567287560409], // large c (a customer with x = 200)
    [2.243, 4.426, 4.219, -3.0, 0.039905894223652108], // Pfaff for z < 0
    [0.5, 0.5, 1.5, 0.95, 1.380231154269966],
    [1, 1, 3, 0.97, 1.8382469190783303], // c − a − b integer: long series
  ];
  it.each(cases)('2F1(%d, %d; %d; %d)', (a, b, c, z, expected) => {
    expect(rel(hyp2f1(a, b, c, z), expected)).toBeLessThan(1e-12);
  });
  it('closed forms: 2F1(1,1;2;z) = −ln(1−z)/z', () => {
    for (const z of [0.1, 0.5, 0.9, 0.99]) expect(rel(hyp2f1(1, 1, 2, z), -Math.log1p(-z) / z)).toBeLessThan(1e-12);
  });
  it('is NaN outside z < 1 instead of a wrong number', () => {
    expect(hyp2f1(1, 1, 2, 1)).toBeNaN();
    expect(hyp2f1(1, 1, 2, 1.5)).toBeNaN();
  });
});

describe('logAddExp', () => {
  it('does not overflow', () => {
    expect(logAddExp(1000, 1000)).toBeCloseTo(1000 + Math.LN2, 12);
    expect(logAddExp(-Infinity, 3)).toBe(3);
    expect(logAddExp(-1000, -1001)).toBeCloseTo(-1000 + Math.log1p(Math.exp(-1)), 12);
  });
});
