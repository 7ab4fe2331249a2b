export type Json = string | number | boolean | null | { [key: string]: Json | undefined } | Json[];

export type Database = {
	public: {
		Tables: {
			announcements: {
				Row: {
					author_id: string;
					created_at: string;
					id: string;
					text: string;
				};
				Insert: {
					author_id?: string;
					created_at?: string;
					id?: string;
					text: string;
				};
				Update: {
					author_id?: string;
					created_at?: string;
					id?: string;
					text?: string;
				};
				Relationships: [
					{
						foreignKeyName: 'announcements_author_id_fkey';
						columns: ['author_id'];
						referencedRelation: 'profiles';
						referencedColumns: ['id'];
					}
				];
			};
			notification_preferences: {
				Row: {
					muted_categories: Database['public']['Enums']['notification_category'][];
					off_categories: Database['public']['Enums']['notification_category'][];
					quiet_end: string;
					quiet_hours: boolean;
					quiet_start: string;
					time_zone: string;
					updated_at: string;
					user_id: string;
				};
				Insert: {
					muted_categories?: Database['public']['Enums']['notification_category'][];
					off_categories?: Database['public']['Enums']['notification_category'][];
					quiet_end?: string;
					quiet_hours?: boolean;
					quiet_start?: string;
					time_zone?: string;
					updated_at?: string;
					user_id?: string;
				};
				Update: {
					muted_categories?: Database['public']['Enums']['notification_category'][];
					off_categories?: Database['public']['Enums']['notification_category'][];
					quiet_end?: string;
					quiet_hours?: boolean;
					quiet_start?: string;
					time_zone?: string;
					updated_at?: string;
					user_id?: string;
				};
				Relationships: [
					{
						foreignKeyName: 'notification_preferences_user_id_fkey';
						columns: ['user_id'];
						referencedRelation: 'profiles';
						referencedColumns: ['id'];
					}
				];
			};
			notifications: {
				Row: {
					action_taken: string | null;
					action_taken_at: string | null;
					actions: Json | null;
					actor_id: string | null;
					archived_at: string | null;
					body: string | null;
					category: Database['public']['Enums']['notification_category'];
					created_at: string;
					group_key: string | null;
					id: string;
					priority: Database['public']['Enums']['notification_priority'];
					read_at: string | null;
					search: unknown;
					snoozed_until: string | null;
					subject: string | null;
					title: string;
					updated_at: string;
					url: string | null;
					user_id: string;
				};
				Insert: {
					action_taken?: string | null;
					action_taken_at?: string | null;
					actions?: Json | null;
					actor_id?: string | null;
					archived_at?: string | null;
					body?: string | null;
					category?: Database['public']['Enums']['notification_category'];
					created_at?: string;
					group_key?: string | null;
					id?: string;
					priority?: Database['public']['Enums']['notification_priority'];
					read_at?: string | null;
					search?: never;
					snoozed_until?: string | null;
					subject?: string | null;
					title: string;
					updated_at?: string;
					url?: string | null;
					user_id: string;
				};
				Update: {
					action_taken?: string | null;
					action_taken_at?: string | null;
					actions?: Json | null;
					actor_id?: string | null;
					archived_at?: string | null;
					body?: string | null;
					category?: Database['public']['Enums']['notification_category'];
					created_at?: string;
					group_key?: string | null;
					id?: string;
					priority?: Database['public']['Enums']['notification_priority'];
					read_at?: string | null;
					search?: never;
					snoozed_until?: string | null;
					subject?: string | null;
					title?: string;
					updated_at?: string;
					url?: string | null;
					user_id?: string;
				};
				Relationships: [
					{
						foreignKeyName: 'notifications_actor_id_fkey';
						columns: ['actor_id'];
						referencedRelation: 'profiles';
						referencedColumns: ['id'];
					}
				];
			};
			nudges: {
				Row: {
					author_id: string;
					created_at: string;
					id: string;
					target_id: string;
				};
				Insert: {
					author_id?: string;
					created_at?: string;
					id?: string;
					target_id: string;
				};
				Update: {
					author_id?: string;
					created_at?: string;
					id?: string;
					target_id?: string;
				};
				Relationships: [
					{
						foreignKeyName: 'nudges_author_id_fkey';
						columns: ['author_id'];
						referencedRelation: 'profiles';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'nudges_target_id_fkey';
						columns: ['target_id'];
						referencedRelation: 'profiles';
						referencedColumns: ['id'];
					}
				];
			};
			profiles: {
				Row: {
					avatar_url: string | null;
					created_at: string;
					display_name: string;
					id: string;
				};
				Insert: {
					avatar_url?: string | null;
					created_at?: string;
					display_name: string;
					id: string;
				};
				Update: {
					avatar_url?: string | null;
					created_at?: string;
					display_name?: string;
					id?: string;
				};
				Relationships: [];
			};
		};
		Views: {
			[_ in never]: never;
		};
		Functions: {
			mark_all_read: { Args: Record<PropertyKey, never>; Returns: number };
			notification_actions_valid: { Args: { actions: Json }; Returns: boolean };
			unread_count: { Args: Record<PropertyKey, never>; Returns: number };
		};
		Enums: {
			notification_category: 'message' | 'mention' | 'comment' | 'deploy' | 'security' | 'billing' | 'system';
			notification_priority: 'low' | 'normal' | 'high' | 'urgent';
		};
		CompositeTypes: {
			[_ in never]: never;
		};
	};
};

type DatabaseWithoutInternals = Omit<Database, '__InternalSupabase'>;

type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, 'public'>];

export type Tables<
	DefaultSchemaTableNameOrOptions extends
		keyof (DefaultSchema['Tables'] & DefaultSchema['Views']) | { schema: keyof DatabaseWithoutInternals },
	TableName extends (DefaultSchemaTableNameOrOptions extends {
		schema: keyof DatabaseWithoutInternals;
	}
		? keyof (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions['schema']]['Tables'] &
				DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions['schema']]['Views'])
		: never) = never
> = DefaultSchemaTableNameOrOptions extends {
	schema: keyof DatabaseWithoutInternals;
}
	? (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions['schema']]['Tables'] &
			DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions['schema']]['Views'])[TableName] extends {
			Row: infer R;
		}
		? R
		: never
	: DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema['Tables'] & DefaultSchema['Views'])
		? (DefaultSchema['Tables'] & DefaultSchema['Views'])[DefaultSchemaTableNameOrOptions] extends {
				Row: infer R;
			}
			? R
			: never
		: never;

export type TablesInsert<
	DefaultSchemaTableNameOrOptions extends
		keyof DefaultSchema['Tables'] | { schema: keyof DatabaseWithoutInternals },
	TableName extends (DefaultSchemaTableNameOrOptions extends {
		schema: keyof DatabaseWithoutInternals;
	}
		? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions['schema']]['Tables']
		: never) = never
> = DefaultSchemaTableNameOrOptions extends {
	schema: keyof DatabaseWithoutInternals;
}
	? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions['schema']]['Tables'][TableName] extends {
			Insert: infer I;
		}
		? I
		: never
	: DefaultSchemaTableNameOrOptions extends keyof DefaultSchema['Tables']
		? DefaultSchema['Tables'][DefaultSchemaTableNameOrOptions] extends {
				Insert: infer I;
			}
			? I
			: never
		: never;

export type TablesUpdate<
	DefaultSchemaTableNameOrOptions extends
		keyof DefaultSchema['Tables'] | { schema: keyof DatabaseWithoutInternals },
	TableName extends (DefaultSchemaTableNameOrOptions extends {
		schema: keyof DatabaseWithoutInternals;
	}
		? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions['schema']]['Tables']
		: never) = never
> = DefaultSchemaTableNameOrOptions extends {
	schema: keyof DatabaseWithoutInternals;
}
	? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions['schema']]['Tables'][TableName] extends {
			Update: infer U;
		}
		? U
		: never
	: DefaultSchemaTableNameOrOptions extends keyof DefaultSchema['Tables']
		? DefaultSchema['Tables'][DefaultSchemaTableNameOrOptions] extends {
				Update: infer U;
			}
			? U
			: never
		: never;

export type Enums<
	DefaultSchemaEnumNameOrOptions extends
		keyof DefaultSchema['Enums'] | { schema: keyof DatabaseWithoutInternals },
	EnumName extends (DefaultSchemaEnumNameOrOptions extends {
		schema: keyof DatabaseWithoutInternals;
	}
		? keyof DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions['schema']]['Enums']
		: never) = never
> = DefaultSchemaEnumNameOrOptions extends {
	schema: keyof DatabaseWithoutInternals;
}
	? DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions['schema']]['Enums'][EnumName]
	: DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema['Enums']
		? DefaultSchema['Enums'][DefaultSchemaEnumNameOrOptions]
		: never;

export type CompositeTypes<
	PublicCompositeTypeNameOrOptions extends
		keyof DefaultSchema['CompositeTypes'] | { schema: keyof DatabaseWithoutInternals },
	CompositeTypeName extends (PublicCompositeTypeNameOrOptions extends {
		schema: keyof DatabaseWithoutInternals;
	}
		? keyof DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions['schema']]['CompositeTypes']
		: never) = never
> = PublicCompositeTypeNameOrOptions extends {
	schema: keyof DatabaseWithoutInternals;
}
	? DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions['schema']]['CompositeTypes'][CompositeTypeName]
	: PublicCompositeTypeNameOrOptions extends keyof DefaultSchema['CompositeTypes']
		? DefaultSchema['CompositeTypes'][PublicCompositeTypeNameOrOptions]
		: never;

export const Constants = {
	public: {
		Enums: {
			notification_category: ['message', 'mention', 'comment', 'deploy', 'security', 'billing', 'system'],
			notification_priority: ['low', 'normal', 'high', 'urgent']
		}
	}
} as const;
