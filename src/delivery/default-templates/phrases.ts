/** One language's wording. Email phrases are HTML (already escaped); Liquid tags are allowed. */
export interface Phrases {
  sms: string;
  codeEmail: { subject: string; intro: string; expiry: string };
  linkEmail: { subject: string; intro: string; button: string; expiry: string };
}
