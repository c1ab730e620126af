import { Migration } from '@mikro-orm/migrations';

export class Migration20261123090841_answer_lookup extends Migration {
  override name = 'Migration20261123090841_answer_lookup';

  override up(): void | Promise<void> {
    this.addSql(`create index "message_in_reply_to_index" on "message" ("in_reply_to");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "message_in_reply_to_index";`);
  }
}
