"""sprints: sprints with goals, their cards (commitment snapshot, outcome), scope changes,
and the card's current sprint

Revision ID: 0004_sprints
Revises: 0003_skills
Create Date: 2026-11-28 03:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_sprints'
down_revision = '0003_skills'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sprints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('goal', sa.Text(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('goal_met', sa.String(length=10), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_sprints_board_id_boards'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_sprints_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sprints'))
    )
    with op.batch_alter_table('sprints', schema=None) as batch_op:
        batch_op.create_index('ix_sprints_board_id_state', ['board_id', 'state'], unique=False)
        batch_op.create_index(
            'uq_sprints_one_active_per_board',
            ['board_id'],
            unique=True,
            sqlite_where=sa.text("state = 'active'"),
            postgresql_where=sa.text("state = 'active'"),
        )

    op.create_table('sprint_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sprint_id', sa.Integer(), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=False),
    sa.Column('committed', sa.Boolean(), nullable=False),
    sa.Column('estimate_at_start', sa.Float(), nullable=True),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.Column('removed_at', sa.DateTime(), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=True),
    sa.Column('estimate_at_close', sa.Float(), nullable=True),
    sa.Column('assignee_at_close_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assignee_at_close_id'], ['users.id'], name=op.f('fk_sprint_cards_assignee_at_close_id_users')),
    sa.ForeignKeyConstraint(['card_id'], ['cards.id'], name=op.f('fk_sprint_cards_card_id_cards'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sprint_id'], ['sprints.id'], name=op.f('fk_sprint_cards_sprint_id_sprints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sprint_cards')),
    sa.UniqueConstraint('sprint_id', 'card_id', name=op.f('uq_sprint_cards_sprint_id'))
    )
    with op.batch_alter_table('sprint_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sprint_cards_card_id'), ['card_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sprint_cards_sprint_id'), ['sprint_id'], unique=False)

    op.create_table('sprint_scope_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sprint_id', sa.Integer(), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=False),
    sa.Column('change', sa.String(length=10), nullable=False),
    sa.Column('estimate', sa.Float(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_sprint_scope_changes_actor_id_users')),
    sa.ForeignKeyConstraint(['card_id'], ['cards.id'], name=op.f('fk_sprint_scope_changes_card_id_cards'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sprint_id'], ['sprints.id'], name=op.f('fk_sprint_scope_changes_sprint_id_sprints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sprint_scope_changes'))
    )
    with op.batch_alter_table('sprint_scope_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sprint_scope_changes_sprint_id'), ['sprint_id'], unique=False)

    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sprint_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_cards_sprint_id'), ['sprint_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_cards_sprint_id_sprints'), 'sprints', ['sprint_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cards_sprint_id_sprints'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_cards_sprint_id'))
        batch_op.drop_column('sprint_id')

    with op.batch_alter_table('sprint_scope_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sprint_scope_changes_sprint_id'))
    op.drop_table('sprint_scope_changes')
    with op.batch_alter_table('sprint_cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sprint_cards_sprint_id'))
        batch_op.drop_index(batch_op.f('ix_sprint_cards_card_id'))
    op.drop_table('sprint_cards')
    with op.batch_alter_table('sprints', schema=None) as batch_op:
        batch_op.drop_index('uq_sprints_one_active_per_board')
        batch_op.drop_index('ix_sprints_board_id_state')
    op.drop_table('sprints')
