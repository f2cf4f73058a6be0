import { AliasTable, type Rng } from './rng.ts';

/**
 * The web shop's catalogue (a specialty-coffee retailer that also sells office coffee service
 * to businesses through its sales team). Prices are in cents. Products launched during the
 * window are not sold before their launch; archived products are not sold after it.
 */
export interface Product {
  index: number;
  sku: string;
  handle: string;
  title: string;
  vendor: string;
  category: string;
  priceCents: number;
  costCents: number;
  popularity: number;
  /** Sold in the web shop (B2B service products are sold by the sales team only). */
  shop: boolean;
  launchedAt: number;
  archivedAt: number;
}

interface Template {
  category: string;
  code: string;
  vendor: string[];
  items: string[];
  price: [number, number];
  costRatio: [number, number];
  popularity: number;
  sizes?: Array<{ label: string; code: string; factor: number }>;
}

const templates: Template[] = [
  {
    category: 'Coffee',
    code: 'CB',
    vendor: ['Ridgeline Roasters'],
    items: ['Ethiopia Yirgacheffe', 'Colombia Huila', 'Brazil Cerrado', 'Guatemala Antigua', 'Kenya AA', 'Sumatra Mandheling', 'Costa Rica Tarrazú', 'Peru Cajamarca', 'Rwanda Nyamasheke', 'House Espresso Blend', 'Decaf Swiss Water', 'Breakfast Blend', 'French Roast', 'Italian Roast', 'Honduras Marcala', 'Single Origin of the Month'],
    price: [1300, 1900],
    costRatio: [0.42, 0.52],
    popularity: 10,
    sizes: [
      { label: 'Whole Bean, 340g', code: 'WB340', factor: 1 },
      { label: 'Ground, 340g', code: 'GR340', factor: 1 },
      { label: 'Whole Bean, 1kg', code: 'WB1K', factor: 2.6 },
    ],
  },
  {
    category: 'Tea',
    code: 'TE',
    vendor: ['Ridgeline Roasters', 'Leaf & Kettle'],
    items: ['Earl Grey', 'English Breakfast', 'Sencha Green', 'Jasmine Pearls', 'Chamomile', 'Rooibos Vanilla', 'Masala Chai', 'Peppermint', 'Oolong Formosa', 'Matcha Ceremonial Grade'],
    price: [800, 2400],
    costRatio: [0.35, 0.5],
    popularity: 3,
  },
  {
    category: 'Brewing Equipment',
    code: 'BE',
    vendor: ['Hario', 'Chemex', 'AeroPress', 'Bodum', 'Fellow', 'Bialetti'],
    items: ['Pour-Over Dripper V60', 'French Press 1L', 'AeroPress Original', 'Moka Pot 6-Cup', 'Gooseneck Kettle', 'Cold Brew Maker', 'Chemex 8-Cup', 'Paper Filters (100)', 'Milk Frother', 'Digital Coffee Scale', 'Siphon Brewer', 'Travel Press'],
    price: [900, 9500],
    costRatio: [0.5, 0.65],
    popularity: 2.5,
  },
  {
    category: 'Grinders',
    code: 'GR',
    vendor: ['Baratza', 'Comandante', 'Fellow', 'Eureka'],
    items: ['Hand Grinder', 'Burr Grinder Encore', 'Conical Burr Grinder', 'Espresso Grinder Mignon', 'Flat Burr Grinder Ode'],
    price: [4500, 35000],
    costRatio: [0.6, 0.72],
    popularity: 0.8,
  },
  {
    category: 'Espresso Machines',
    code: 'EM',
    vendor: ['Breville', 'Rancilio', 'Gaggia', 'La Marzocco'],
    items: ['Home Espresso Machine', 'Dual Boiler Espresso Machine', 'Bean-to-Cup Machine', 'Capsule Machine', 'Lever Espresso Machine'],
    price: [14900, 149900],
    costRatio: [0.68, 0.78],
    popularity: 0.35,
  },
  {
    category: 'Accessories',
    code: 'AC',
    vendor: ['Ridgeline Roasters', 'KeepCup', 'Fellow'],
    items: ['Ceramic Mug', 'Insulated Tumbler', 'Reusable Cup', 'Espresso Tamper', 'Knock Box', 'Latte Art Pitcher', 'Coffee Canister', 'Barista Apron', 'Espresso Cups (Set of 4)', 'Cupping Spoon'],
    price: [900, 4500],
    costRatio: [0.3, 0.45],
    popularity: 2,
  },
  {
    category: 'Cleaning & Care',
    code: 'CL',
    vendor: ['Urnex', 'Ridgeline Roasters'],
    items: ['Descaling Solution', 'Espresso Cleaning Tablets', 'Grinder Cleaning Pellets', 'Group Head Brush', 'Milk System Cleaner'],
    price: [600, 2000],
    costRatio: [0.35, 0.5],
    popularity: 1.5,
  },
  {
    category: 'Gift Cards',
    code: 'GC',
    vendor: ['Ridgeline Roasters'],
    items: ['Gift Card $25', 'Gift Card $50', 'Gift Card $100'],
    price: [2500, 2500],
    costRatio: [1, 1],
    popularity: 0.6,
  },
];

/** Sold by the sales team (deals), not in the web shop. */
export const serviceProducts: ReadonlyArray<{ title: string; sku: string; priceCents: number; costRatio: number }> = [
  { title: 'Office Coffee Service - Starter (annual)', sku: 'OCS-START', priceCents: 480000, costRatio: 0.55 },
  { title: 'Office Coffee Service - Team (annual)', sku: 'OCS-TEAM', priceCents: 1200000, costRatio: 0.55 },
  { title: 'Office Coffee Service - Enterprise (annual)', sku: 'OCS-ENT', priceCents: 4800000, costRatio: 0.5 },
  { title: 'Espresso Machine Lease (36 months)', sku: 'LEASE-36', priceCents: 1080000, costRatio: 0.6 },
  { title: 'Barista Training Workshop', sku: 'SVC-TRAIN', priceCents: 250000, costRatio: 0.3 },
  { title: 'Annual Maintenance Plan', sku: 'SVC-MAINT', priceCents: 360000, costRatio: 0.25 },
];

export interface Catalog {
  products: Product[];
  /** Shop products, for order lines. */
  shop: Product[];
  /** Draws a shop product index into `shop` by popularity. */
  table: AliasTable;
  /** Indexes into `shop` sorted by price, for "something cheaper than X". */
  byPrice: Int32Array;
  service: Product[];
}

function slug(s: string): string {
  return s
    .toLowerCase()
    .normalize('NFD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** Builds the catalogue deterministically from the templates and `rng`. */
export function buildCatalog(rng: Rng, windowStart: number, windowEnd: number): Catalog {
  const products: Product[] = [];
  const span = windowEnd - windowStart;
  const add = (p: Omit<Product, 'index'>) => products.push({ ...p, index: products.length });
  for (const t of templates) {
    t.items.forEach((item, i) => {
      const base = t.code === 'GC' ? Number(item.replace(/\D/g, '')) * 100 : Math.round(rng.uniform(t.price[0], t.price[1]) / 50) * 50 - 1;
      const itemPopularity = t.popularity / Math.pow(i + 1, 0.6);
      const sizes = t.sizes ?? [{ label: '', code: '', factor: 1 }];
      sizes.forEach((size, s) => {
        const price = size.factor === 1 ? base : Math.round((base * size.factor) / 100) * 100 - 1;
        const ratio = rng.uniform(t.costRatio[0], t.costRatio[1]);
        // About one product in eight launched during the window, one in ten was archived.
        const launched = rng.chance(0.12) ? windowStart + rng.float() * span * 0.8 : windowStart - 365 * 86_400_000;
        const archived = rng.chance(0.1) ? launched + (windowEnd - launched) * rng.uniform(0.3, 0.9) : Infinity;
        const title = size.label ? `${item} (${size.label})` : item;
        add({
          sku: `${t.code}-${String(i + 1).padStart(3, '0')}${size.code ? `-${size.code}` : ''}`,
          handle: slug(title),
          title,
          vendor: rng.pick(t.vendor),
          category: t.category,
          priceCents: price,
          costCents: Math.round(price * ratio),
          popularity: itemPopularity * (s === 2 ? 0.6 : s === 1 ? 0.6 : 1),
          shop: true,
          launchedAt: launched,
          archivedAt: archived,
        });
      });
    });
  }
  for (const s of serviceProducts) {
    add({
      sku: s.sku,
      handle: slug(s.title),
      title: s.title,
      vendor: 'Ridgeline Roasters',
      category: 'Office Service',
      priceCents: s.priceCents,
      costCents: Math.round(s.priceCents * s.costRatio),
      popularity: 0,
      shop: false,
      launchedAt: windowStart - 365 * 86_400_000,
      archivedAt: Infinity,
    });
  }
  const shop = products.filter((p) => p.shop);
  const byPrice = Int32Array.from(shop.map((_, i) => i)).sort((a, b) => shop[a].priceCents - shop[b].priceCents);
  return { products, shop, table: new AliasTable(shop.map((p) => p.popularity)), byPrice, service: products.filter((p) => !p.shop) };
}
