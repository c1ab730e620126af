// Written by `npm run migration:create`: every migration, in order, imported so that the server's
// build carries them (an installed package has no migrations folder to read).
import { Migration20261123081031_initial } from './Migration20261123081031_initial.ts';
import { Migration20261123090841_answer_lookup } from './Migration20261123090841_answer_lookup.ts';

export const migrationsList = [
  { name: 'Migration20261123081031_initial', class: Migration20261123081031_initial },
  { name: 'Migration20261123090841_answer_lookup', class: Migration20261123090841_answer_lookup },
];
