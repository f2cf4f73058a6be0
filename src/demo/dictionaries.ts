/**
 * Word lists the demo generator draws from: countries (with their phone plans, cities and
 * address styles), names, companies, job titles, activity subjects. Static data only.
 */

export type Region = 'North America' | 'EMEA' | 'APAC';

export interface City {
  name: string;
  /** State/province code where the country uses one. */
  province?: string;
  /** Phone area digits; area + 7 subscriber digits = the national significant number. */
  area: string;
  /** First digits of the postal code. */
  zip: string;
}

export interface Country {
  code: string;
  name: string;
  region: Region;
  weight: number;
  callingCode: string;
  /** Whether the CRM may write national format (digits still end in the same 10 as E.164). */
  national: boolean;
  taxRate: number;
  names: 'en' | 'de' | 'fr' | 'nl';
  cities: City[];
  street: (n: number, name: string) => string;
  legalForms: string[];
  domain: string;
}

export const countries: Country[] = [
  {
    code: 'US', name: 'United States', region: 'North America', weight: 0.56, callingCode: '1', national: true, taxRate: 0.07, names: 'en',
    cities: [
      { name: 'New York', province: 'NY', area: '212', zip: '100' },
      { name: 'Brooklyn', province: 'NY', area: '718', zip: '112' },
      { name: 'Boston', province: 'MA', area: '617', zip: '021' },
      { name: 'Chicago', province: 'IL', area: '312', zip: '606' },
      { name: 'Austin', province: 'TX', area: '512', zip: '787' },
      { name: 'Houston', province: 'TX', area: '713', zip: '770' },
      { name: 'Denver', province: 'CO', area: '303', zip: '802' },
      { name: 'Seattle', province: 'WA', area: '206', zip: '981' },
      { name: 'Portland', province: 'OR', area: '503', zip: '972' },
      { name: 'San Francisco', province: 'CA', area: '415', zip: '941' },
      { name: 'Los Angeles', province: 'CA', area: '213', zip: '900' },
      { name: 'San Diego', province: 'CA', area: '619', zip: '921' },
      { name: 'Atlanta', province: 'GA', area: '404', zip: '303' },
      { name: 'Miami', province: 'FL', area: '305', zip: '331' },
      { name: 'Minneapolis', province: 'MN', area: '612', zip: '554' },
      { name: 'Philadelphia', province: 'PA', area: '215', zip: '191' },
      { name: 'Nashville', province: 'TN', area: '615', zip: '372' },
      { name: 'Phoenix', province: 'AZ', area: '602', zip: '850' },
    ],
    street: (n, s) => `${n} ${s}`, legalForms: ['Inc.', 'LLC', 'Corp.', 'Co.'], domain: 'com',
  },
  {
    code: 'CA', name: 'Canada', region: 'North America', weight: 0.08, callingCode: '1', national: true, taxRate: 0.13, names: 'en',
    cities: [
      { name: 'Toronto', province: 'ON', area: '416', zip: 'M5V' },
      { name: 'Vancouver', province: 'BC', area: '604', zip: 'V6B' },
      { name: 'Montreal', province: 'QC', area: '514', zip: 'H2X' },
      { name: 'Calgary', province: 'AB', area: '403', zip: 'T2P' },
      { name: 'Ottawa', province: 'ON', area: '613', zip: 'K1P' },
    ],
    street: (n, s) => `${n} ${s}`, legalForms: ['Inc.', 'Ltd.', 'Corp.'], domain: 'ca',
  },
  {
    code: 'GB', name: 'United Kingdom', region: 'EMEA', weight: 0.12, callingCode: '44', national: true, taxRate: 0.2, names: 'en',
    cities: [
      { name: 'London', area: '207', zip: 'EC1' },
      { name: 'London', area: '208', zip: 'SW1' },
      { name: 'Manchester', area: '161', zip: 'M1' },
      { name: 'Birmingham', area: '121', zip: 'B1' },
      { name: 'Leeds', area: '113', zip: 'LS1' },
      { name: 'Bristol', area: '117', zip: 'BS1' },
      { name: 'Edinburgh', area: '131', zip: 'EH1' },
    ],
    street: (n, s) => `${n} ${s}`, legalForms: ['Ltd', 'PLC', 'LLP'], domain: 'co.uk',
  },
  {
    code: 'DE', name: 'Germany', region: 'EMEA', weight: 0.1, callingCode: '49', national: true, taxRate: 0.19, names: 'de',
    cities: [
      { name: 'Berlin', area: '309', zip: '10' },
      { name: 'München', area: '892', zip: '80' },
      { name: 'Hamburg', area: '403', zip: '20' },
      { name: 'Köln', area: '221', zip: '50' },
      { name: 'Frankfurt am Main', area: '697', zip: '60' },
      { name: 'Stuttgart', area: '711', zip: '70' },
    ],
    street: (n, s) => `${s} ${n}`, legalForms: ['GmbH', 'AG', 'GmbH & Co. KG'], domain: 'de',
  },
  {
    code: 'FR', name: 'France', region: 'EMEA', weight: 0.05, callingCode: '33', national: false, taxRate: 0.2, names: 'fr',
    cities: [
      { name: 'Paris', area: '14', zip: '750' },
      { name: 'Lyon', area: '47', zip: '690' },
      { name: 'Marseille', area: '49', zip: '130' },
      { name: 'Toulouse', area: '56', zip: '310' },
    ],
    street: (n, s) => `${n} ${s}`, legalForms: ['SAS', 'SARL', 'SA'], domain: 'fr',
  },
  {
    code: 'NL', name: 'Netherlands', region: 'EMEA', weight: 0.04, callingCode: '31', national: true, taxRate: 0.21, names: 'nl',
    cities: [
      { name: 'Amsterdam', area: '205', zip: '101' },
      { name: 'Rotterdam', area: '104', zip: '301' },
      { name: 'Utrecht', area: '302', zip: '351' },
    ],
    street: (n, s) => `${s} ${n}`, legalForms: ['B.V.', 'N.V.'], domain: 'nl',
  },
  {
    code: 'AU', name: 'Australia', region: 'APAC', weight: 0.05, callingCode: '61', national: false, taxRate: 0.1, names: 'en',
    cities: [
      { name: 'Sydney', province: 'NSW', area: '29', zip: '20' },
      { name: 'Melbourne', province: 'VIC', area: '39', zip: '30' },
      { name: 'Brisbane', province: 'QLD', area: '73', zip: '40' },
      { name: 'Perth', province: 'WA', area: '89', zip: '60' },
    ],
    street: (n, s) => `${n} ${s}`, legalForms: ['Pty Ltd', 'Ltd'], domain: 'com.au',
  },
];

export const streetNames: Record<Country['names'], string[]> = {
  en: ['Maple Ave', 'Oak Street', 'High Street', 'Park Road', 'Cedar Lane', 'Elm Street', 'Church Road', 'Washington Blvd', 'Lake Drive', 'Main Street', 'Station Road', 'Pine Street', 'Hillcrest Ave', 'King Street', 'Queen Street', 'Sunset Blvd', 'River Road', 'Mill Lane', 'Victoria Road', 'Harbour Street'],
  de: ['Hauptstraße', 'Schulstraße', 'Gartenstraße', 'Bahnhofstraße', 'Dorfstraße', 'Bergstraße', 'Lindenstraße', 'Kirchweg', 'Am Markt', 'Friedrichstraße', 'Goethestraße', 'Schillerplatz'],
  fr: ['Rue de la Paix', 'Avenue Victor Hugo', 'Rue du Faubourg', 'Boulevard Saint-Michel', 'Rue de Rivoli', 'Rue Lafayette', 'Place Bellecour', 'Rue Nationale'],
  nl: ['Prinsengracht', 'Herengracht', 'Kerkstraat', 'Dorpsstraat', 'Stationsweg', 'Molenweg', 'Marktplein', 'Keizersgracht'],
};

export const firstNames: Record<Country['names'], string[]> = {
  en: ['James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth', 'William', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Christopher', 'Karen', 'Daniel', 'Lisa', 'Matthew', 'Nancy', 'Anthony', 'Sandra', 'Mark', 'Ashley', 'Steven', 'Emily', 'Andrew', 'Michelle', 'Joshua', 'Amanda', 'Kevin', 'Melissa', 'Brian', 'Stephanie', 'Olivia', 'Liam', 'Emma', 'Noah', 'Ava', 'Sophia', 'Lucas', 'Mia', 'Ethan', 'Chloe', 'Priya', 'Wei', 'Carlos', 'Sofia', 'Mateo', 'Valentina', 'Hiroshi', 'Aiko', 'Fatima', 'Omar', 'Aaliyah', 'Zoe', 'Connor', 'Siobhan', 'Niamh', 'Rhys'],
  de: ['Lukas', 'Anna', 'Maximilian', 'Marie', 'Felix', 'Sophie', 'Jonas', 'Lea', 'Leon', 'Hannah', 'Paul', 'Lena', 'Tobias', 'Katharina', 'Florian', 'Julia', 'Jürgen', 'Sabine', 'Stefan', 'Andrea', 'Moritz', 'Jana', 'Niklas', 'Lara', 'Björn', 'Käthe'],
  fr: ['Louis', 'Camille', 'Gabriel', 'Léa', 'Hugo', 'Manon', 'Jules', 'Chloé', 'Arthur', 'Inès', 'Raphaël', 'Élodie', 'Mathis', 'Juliette', 'Théo', 'Clémence', 'Antoine', 'Margaux', 'François', 'Hélène'],
  nl: ['Daan', 'Emma', 'Sem', 'Julia', 'Lucas', 'Tess', 'Bram', 'Sanne', 'Thijs', 'Fleur', 'Jesse', 'Lotte', 'Ruben', 'Anouk', 'Pieter', 'Maaike'],
};

export const lastNames: Record<Country['names'], string[]> = {
  en: ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson', 'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores', 'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera', "O'Brien", "O'Connor", 'McDonald', 'Patel', 'Shah', 'Kim', 'Chen', 'Wang', 'Singh', 'Murphy', 'Kelly', 'Evans', 'Hughes', 'Campbell', 'Edwards', 'Collins'],
  de: ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann', 'Schäfer', 'Koch', 'Bauer', 'Richter', 'Klein', 'Wolf', 'Schröder', 'Neumann', 'Schwarz', 'Zimmermann', 'Braun', 'Krüger', 'Hofmann', 'Hartmann'],
  fr: ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Simon', 'Laurent', 'Lefèvre', 'Michel', 'Garcia', 'David', 'Bertrand', 'Roux', 'Fontaine', 'Chevalier'],
  nl: ['de Jong', 'Jansen', 'de Vries', 'van den Berg', 'van Dijk', 'Bakker', 'Janssen', 'Visser', 'Smit', 'Meijer', 'de Boer', 'Mulder', 'de Groot', 'Bos', 'Vos', 'Peters'],
};

/** Lower-case ASCII letters only, for e-mail local parts ("Müller" → "mueller", "O'Brien" → "obrien"). */
export function emailSafe(name: string): string {
  return name
    .toLowerCase()
    .replaceAll('ä', 'ae')
    .replaceAll('ö', 'oe')
    .replaceAll('ü', 'ue')
    .replaceAll('ß', 'ss')
    .normalize('NFD')
    .replace(/[^a-z]/g, '');
}

export const personalDomains = ['gmail.com', 'yahoo.com', 'outlook.com', 'hotmail.com', 'icloud.com', 'aol.com', 'proton.me', 'gmx.de', 'web.de', 'orange.fr', 'btinternet.com'];

export const companyPrefixes = ['Acme', 'Northwind', 'Blue Harbor', 'Summit', 'Redwood', 'Silverline', 'Granite', 'Brightside', 'Evergreen', 'Ironbridge', 'Lakeshore', 'Pioneer', 'Cascade', 'Harborview', 'Keystone', 'Meridian', 'Oakridge', 'Riverbend', 'Sterling', 'Trailhead', 'Westfield', 'Crescent', 'Beacon', 'Falcon', 'Horizon', 'Juniper', 'Kingsley', 'Lighthouse', 'Maple Leaf', 'Nimbus', 'Orchard', 'Paragon', 'Quarry', 'Rockwell', 'Sandstone', 'Tidewater', 'Union Square', 'Vantage', 'Willow', 'Zenith', 'Anchor', 'Bluebird', 'Copperfield', 'Driftwood', 'Elmwood', 'Foxglove', 'Goldcrest', 'Hawthorne', 'Ivy Lane', 'Jasper'];

/** Company kinds: name suffix, industry, share of enterprises (1000+ employees). */
export const companyKinds: ReadonlyArray<{ suffix: string; industry: string; enterprise: number }> = [
  { suffix: 'Logistics', industry: 'Transportation', enterprise: 0.25 },
  { suffix: 'Dental', industry: 'Healthcare', enterprise: 0.05 },
  { suffix: 'Health', industry: 'Healthcare', enterprise: 0.3 },
  { suffix: 'Architects', industry: 'Professional Services', enterprise: 0.05 },
  { suffix: 'Software', industry: 'Technology', enterprise: 0.25 },
  { suffix: 'Systems', industry: 'Technology', enterprise: 0.3 },
  { suffix: 'Consulting', industry: 'Professional Services', enterprise: 0.15 },
  { suffix: 'Foods', industry: 'Food & Beverage', enterprise: 0.2 },
  { suffix: 'Legal', industry: 'Legal', enterprise: 0.1 },
  { suffix: 'Media', industry: 'Media', enterprise: 0.15 },
  { suffix: 'Capital', industry: 'Financial Services', enterprise: 0.3 },
  { suffix: 'Insurance', industry: 'Financial Services', enterprise: 0.4 },
  { suffix: 'Engineering', industry: 'Manufacturing', enterprise: 0.3 },
  { suffix: 'Manufacturing', industry: 'Manufacturing', enterprise: 0.35 },
  { suffix: 'Studios', industry: 'Media', enterprise: 0.05 },
  { suffix: 'Partners', industry: 'Professional Services', enterprise: 0.1 },
  { suffix: 'Labs', industry: 'Technology', enterprise: 0.1 },
  { suffix: 'Realty', industry: 'Real Estate', enterprise: 0.1 },
  { suffix: 'Hotels', industry: 'Hospitality', enterprise: 0.3 },
  { suffix: 'University', industry: 'Education', enterprise: 0.6 },
];

export const jobTitles = ['Office Manager', 'Operations Manager', 'Facilities Manager', 'Head of Workplace', 'Procurement Lead', 'Executive Assistant', 'CFO', 'CEO', 'COO', 'HR Manager', 'Finance Director', 'People & Culture Lead', 'Purchasing Manager', 'Founder'];

/** Activity subjects by channel and context. */
export const subjects = {
  leadEmail: ['Thanks for your interest', 'Following up on your request', 'Quick question about your coffee setup', 'Your free tasting kit'],
  leadCall: ['Intro call', 'Follow-up call', 'Qualification call'],
  webForm: ['Contact form: pricing request', 'Contact form: office coffee quote', 'Download: Office Coffee Buyer’s Guide', 'Contact form: wholesale inquiry', 'Newsletter sign-up'],
  serviceChat: ['Chat: where is my order?', 'Chat: grind size question', 'Chat: change delivery address', 'Chat: discount code not working'],
  servicePhone: ['Call: order status', 'Call: machine troubleshooting', 'Call: return request', 'Call: billing question'],
  serviceEmail: ['Re: your order', 'Re: delivery delay', 'Re: return label', 'Re: invoice copy'],
  social: ['Instagram DM: brewing tips', 'Twitter mention', 'LinkedIn message', 'Facebook comment reply', 'Instagram story mention'],
  event: ['Visited booth', 'Attended tasting session', 'Met at trade show', 'Attended webinar'],
  dealCall: ['Discovery call', 'Needs review call', 'Pricing discussion', 'Check-in call', 'Negotiation call', 'Contract questions'],
  dealEmail: ['Proposal sent', 'Follow-up: next steps', 'Revised quote', 'Case studies', 'Contract draft', 'Meeting recap'],
  dealMeeting: ['On-site visit', 'Stakeholder meeting', 'Tasting session at client office', 'Quarterly business review', 'Kick-off meeting'],
  dealPresentation: ['Product demo', 'Solution presentation', 'ROI presentation', 'Executive briefing'],
} as const;

export const callOutcomes = ['Connected', 'Left Voicemail', 'No Answer', 'Connected', 'Connected', 'Wrong Number'] as const;
