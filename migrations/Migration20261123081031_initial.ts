import { Migration } from '@mikro-orm/migrations';

export class Migration20261123081031_initial extends Migration {
  override name = 'Migration20261123081031_initial';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "conversation" ("id" uuid not null, "owner_id" varchar(255) not null, "title" varchar(255) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "conversation_owner_id_id_index" on "conversation" ("owner_id", "id");`);

    this.addSql(
      `create table "message" ("id" uuid not null, "conversation_id" uuid not null, "owner_id" varchar(255) not null, "role" text not null, "content" text not null, "status" text not null, "in_reply_to" uuid null, "stream_id" uuid null, "model" varchar(255) null, "finish_reason" text null, "prompt_tokens" int null, "completion_tokens" int null, "total_tokens" int null, "error_code" varchar(255) null, "client_message_id" varchar(255) null, "replay" jsonb null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "message" add constraint "message_stream_id_unique" unique ("stream_id");`);
    this.addSql(`create index "message_conversation_id_id_index" on "message" ("conversation_id", "id");`);
    this.addSql(`create index "message_streaming_idx" on "message" ("status") where "status" = 'streaming';`);
    this.addSql(
      `alter table "message" add constraint "message_owner_id_client_message_id_unique" unique ("owner_id", "client_message_id");`,
    );

    this.addSql(
      `alter table "message" add constraint "message_conversation_id_foreign" foreign key ("conversation_id") references "conversation" ("id");`,
    );
    this.addSql(`alter table "message" add constraint "message_role_check" check ("role" in ('user', 'assistant'));`);
    this.addSql(
      `alter table "message" add constraint "message_status_check" check ("status" in ('streaming', 'complete', 'failed', 'cancelled'));`,
    );
    this.addSql(
      `alter table "message" add constraint "message_finish_reason_check" check ("finish_reason" in ('stop', 'length', 'content_filter', 'tool_calls', 'cancelled'));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "message" drop constraint "message_conversation_id_foreign";`);

    this.addSql(`drop table if exists "conversation" cascade;`);
    this.addSql(`drop table if exists "message" cascade;`);
  }
}
